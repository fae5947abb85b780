import { memo, useCallback, useState } from 'react';
import type { MatchPair } from '../../ml/types';
import { setHighlight, useStore, type UiFace } from '../store';
import { CropImage } from './CropImage';

interface Props {
  matrix: number[][];
  facesA: UiFace[];
  facesB: UiFace[];
  pairs: MatchPair[];
  threshold: number;
  scaleMax: number;
}

/** Close faces are dark and saturated, distant ones fade out; the threshold is where the hue turns. */
export function cellColor(distance: number, under: boolean, scaleMax: number): string {
  const t = Math.min(1, Math.max(0, distance / Math.max(scaleMax, 1e-6)));
  const hue = under ? 150 : 215;
  const lightness = 30 + 55 * t;
  const alpha = under ? 0.95 : 0.35 + 0.4 * (1 - t);
  return `hsl(${hue} 70% ${lightness}% / ${alpha})`;
}

/** Readable number colour on a cell: light on the dark (close) cells. */
function cellTextColor(distance: number, under: boolean, scaleMax: number): string {
  const t = Math.min(1, Math.max(0, distance / Math.max(scaleMax, 1e-6)));
  return under || t < 0.35 ? '#ffffff' : 'var(--text)';
}

interface CellProps {
  a: number;
  b: number;
  distance: number;
  under: boolean;
  isMatch: boolean;
  active: boolean;
  scaleMax: number;
  showNumber: boolean;
  onSelect(a: number, b: number): void;
  onClear(): void;
}

/** One cell; memoised on what it shows, so a threshold move re-renders only the cells that cross it. */
const MatrixCell = memo(function MatrixCell({ a, b, distance, under, isMatch, active, scaleMax, showNumber, onSelect, onClear }: CellProps) {
  return (
    <td>
      <button
        type="button"
        className={`cell${isMatch ? ' is-match' : ''}${active ? ' is-active' : ''}`}
        style={{ background: cellColor(distance, under, scaleMax), color: cellTextColor(distance, under, scaleMax) }}
        aria-label={`A${a + 1} and B${b + 1}: distance ${distance.toFixed(3)}${isMatch ? ', matched' : ''}`}
        onPointerEnter={() => onSelect(a, b)}
        onFocus={() => onSelect(a, b)}
        onBlur={onClear}
      >
        {showNumber && <span aria-hidden="true">{distance.toFixed(2).replace(/^0/, '')}</span>}
      </button>
    </td>
  );
});

/** Up to this many columns each cell shows its distance; beyond, cells are too small and the readout says it. */
const NUMBERS_UP_TO = 10;

/** The A x B heatmap: crops on both axes, the distance on hover or focus, matched cells ringed. */
export const DistanceMatrix = memo(function DistanceMatrix({ matrix, facesA, facesB, pairs, threshold, scaleMax }: Props) {
  const highlight = useStore((s) => s.highlight);
  const [focused, setFocused] = useState<{ a: number; b: number } | null>(null);
  const matched = new Set(pairs.map((p) => `${p.a},${p.b}`));
  const showNumbers = facesB.length <= NUMBERS_UP_TO;
  const shown = focused ?? (highlight.A !== null && highlight.B !== null ? { a: highlight.A, b: highlight.B } : null);

  const select = useCallback((a: number, b: number) => {
    setFocused({ a, b });
    setHighlight({ A: a, B: b });
  }, []);
  const clear = useCallback(() => {
    setFocused(null);
    setHighlight({ A: null, B: null });
  }, []);

  return (
    <div className="matrix-block">
      <p className="matrix-readout" aria-live="polite">
        {shown && matrix[shown.a]?.[shown.b] !== undefined ? (
          <>
            <strong>
              A{shown.a + 1} × B{shown.b + 1}
            </strong>{' '}
            distance <span className="mono">{matrix[shown.a][shown.b].toFixed(3)}</span>
            {matched.has(`${shown.a},${shown.b}`) ? ' · matched' : matrix[shown.a][shown.b] <= threshold ? ' · under the threshold' : ''}
          </>
        ) : (
          <span className="muted">Hover or focus a cell to read its distance.</span>
        )}
      </p>
      <div className="matrix-legend" aria-hidden="true">
        <span className="legend-swatch" style={{ background: cellColor(0, true, 1) }} /> under the threshold
        <span className="legend-gap" />
        <span className="legend-swatch" style={{ background: cellColor(threshold * 1.05, false, scaleMax) }} />
        <span className="legend-swatch" style={{ background: cellColor((threshold + scaleMax) / 2, false, scaleMax) }} />
        <span className="legend-swatch" style={{ background: cellColor(scaleMax, false, scaleMax) }} /> above it, closer to farther
        <span className="legend-gap" />
        <span className="legend-swatch is-match" /> matched
      </div>
      <div className="matrix-scroll">
        <table className="matrix" aria-label="Distance matrix, photo A faces by photo B faces" onPointerLeave={clear}>
          <thead>
            <tr>
              <th scope="col" className="matrix-corner">
                <span className="visually-hidden">Face in A \ face in B</span>
                <span aria-hidden="true">A \ B</span>
              </th>
              {facesB.map((face, b) => (
                <th key={b} scope="col" className={highlight.B === b ? 'is-highlighted' : ''}>
                  <CropImage src={face.cropUrl} label={`B${b + 1}`} className="axis-crop" />
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {facesA.map((face, a) => (
              <tr key={a}>
                <th scope="row" className={highlight.A === a ? 'is-highlighted' : ''}>
                  <CropImage src={face.cropUrl} label={`A${a + 1}`} className="axis-crop" />
                </th>
                {facesB.map((_, b) => (
                  <MatrixCell
                    key={b}
                    a={a}
                    b={b}
                    distance={matrix[a][b]}
                    under={matrix[a][b] <= threshold}
                    isMatch={matched.has(`${a},${b}`)}
                    active={highlight.A === a && highlight.B === b}
                    scaleMax={scaleMax}
                    showNumber={showNumbers}
                    onSelect={select}
                    onClear={clear}
                  />
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
});
