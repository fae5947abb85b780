import { memo, useCallback, useState } from 'react';
import { formatProbability, sameProbability } from '../../ml/similarity';
import type { DistanceCalibration, MatchPair } from '../../ml/types';
import { cellPaint } from '../cell-colors';
import { setHighlight, useStore, type ShownFace } from '../store';
import { CropImage } from './CropImage';

/** What both heatmaps (the table and, for crowded photos, the canvas) are drawn from. */
export interface HeatmapProps {
  matrix: number[][];
  facesA: ShownFace[];
  facesB: ShownFace[];
  pairs: MatchPair[];
  threshold: number;
  scaleMax: number;
}

const swatch = (distance: number, under: boolean, scaleMax: number) => cellPaint(distance, under, scaleMax).background;

interface CellProps {
  a: number;
  b: number;
  distance: number;
  /** calibrated P(same person), null when the embedder is not calibrated */
  probability: number | null;
  under: boolean;
  isMatch: boolean;
  active: boolean;
  scaleMax: number;
  /** what the cell's digits say, or nothing when cells are too small */
  shows: 'distance' | 'probability' | null;
  onSelect(a: number, b: number): void;
  onClear(): void;
}

/**
 * The cell's short text: ".567" for a distance, "71" (per cent) for a probability: the same digits as in the
 * accessible name (WCAG 2.5.3, label in name: axe compares whole words, so a rounder ".57" would not count).
 */
function cellText(distance: number, probability: number | null, shows: 'distance' | 'probability'): string {
  if (shows === 'probability' && probability !== null) return formatProbability(probability).replace('%', '');
  return distance.toFixed(3).replace(/^0/, '');
}

/** One cell; memoised on what it shows, so a threshold move re-renders only the cells that cross it. */
const MatrixCell = memo(function MatrixCell({ a, b, distance, probability, under, isMatch, active, scaleMax, shows, onSelect, onClear }: CellProps) {
  const paint = cellPaint(distance, under, scaleMax);
  return (
    <td>
      <button
        type="button"
        className={`cell${isMatch ? ' is-match' : ''}${active ? ' is-active' : ''}`}
        style={{ background: paint.background, color: paint.color }}
        aria-label={`A${a + 1} and B${b + 1}: distance ${distance.toFixed(3)}${probability !== null ? `, ${formatProbability(probability)} same person` : ''}${isMatch ? ', matched' : ''}`}
        onPointerEnter={() => onSelect(a, b)}
        onFocus={() => onSelect(a, b)}
        onBlur={onClear}
      >
        {shows && <span aria-hidden="true">{cellText(distance, probability, shows)}</span>}
      </button>
    </td>
  );
});

const probabilityOf = (fit: DistanceCalibration | undefined, distance: number) => (fit ? sameProbability(fit, distance) : null);

interface ReadoutProps {
  matrix: number[][];
  shown: { a: number; b: number } | null;
  matched: boolean;
  threshold: number;
  fit: DistanceCalibration | undefined;
  /** what to say while no cell is shown */
  hint: string;
}

/** The line above the heatmap (table or canvas) that reads out one cell: faces, distance, probability, match. */
export function MatrixReadout({ matrix, shown, matched, threshold, fit, hint }: ReadoutProps) {
  const distance = shown ? matrix[shown.a]?.[shown.b] : undefined;
  return (
    <p className="matrix-readout" aria-live="polite">
      {shown && distance !== undefined ? (
        <>
          <strong>
            A{shown.a + 1} × B{shown.b + 1}
          </strong>{' '}
          distance <span className="mono">{distance.toFixed(3)}</span>
          {fit ? ` · ${formatProbability(sameProbability(fit, distance))} same person` : ''}
          {matched ? ' · matched' : distance <= threshold ? ' · under the threshold' : ''}
        </>
      ) : (
        <span className="muted">{hint}</span>
      )}
    </p>
  );
}

/** Up to this many columns each cell shows its distance; beyond, cells are too small and the readout says it. */
const NUMBERS_UP_TO = 10;

/** The A x B heatmap: crops on both axes, the distance on hover or focus, matched cells ringed. */
export const DistanceMatrix = memo(function DistanceMatrix({ matrix, facesA, facesB, pairs, threshold, scaleMax }: HeatmapProps) {
  const highlight = useStore((s) => s.highlight);
  const fit = useStore((s) => s.embedder?.calibration?.fit);
  const matrixShows = useStore((s) => s.matrixShows);
  const [focused, setFocused] = useState<{ a: number; b: number } | null>(null);
  const matched = new Set(pairs.map((p) => `${p.a},${p.b}`));
  const shows = facesB.length <= NUMBERS_UP_TO ? (fit ? matrixShows : 'distance') : null;
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
      <MatrixReadout
        matrix={matrix}
        shown={shown}
        matched={shown !== null && matched.has(`${shown.a},${shown.b}`)}
        threshold={threshold}
        fit={fit}
        hint="Hover or focus a cell to read its distance."
      />
      {fit && shows ? (
        <fieldset className="matrix-shows">
          <legend>Cells show</legend>
          {(['distance', 'probability'] as const).map((value) => (
            <label key={value} className={`mode-option${matrixShows === value ? ' is-selected' : ''}`}>
              <input type="radio" name="matrix-shows" value={value} checked={matrixShows === value} onChange={() => useStore.setState({ matrixShows: value })} />
              {value === 'distance' ? 'distance' : '% same person'}
            </label>
          ))}
        </fieldset>
      ) : null}
      <div className="matrix-legend" aria-hidden="true">
        <span className="legend-swatch" style={{ background: swatch(0, true, 1) }} /> under the threshold
        <span className="legend-gap" />
        <span className="legend-swatch" style={{ background: swatch(threshold * 1.05, false, scaleMax) }} />
        <span className="legend-swatch" style={{ background: swatch((threshold + scaleMax) / 2, false, scaleMax) }} />
        <span className="legend-swatch" style={{ background: swatch(scaleMax, false, scaleMax) }} /> above it, closer to farther
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
                    probability={probabilityOf(fit, matrix[a][b])}
                    under={matrix[a][b] <= threshold}
                    isMatch={matched.has(`${a},${b}`)}
                    active={highlight.A === a && highlight.B === b}
                    scaleMax={scaleMax}
                    shows={shows}
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
