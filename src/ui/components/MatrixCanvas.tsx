import { memo, useEffect, useMemo, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import { setHighlight, useStore } from '../store';
import { cellPaint } from '../cell-colors';
import { MatrixReadout, type HeatmapProps } from './DistanceMatrix';


/** Beyond this many cells the heatmap is drawn on a canvas: 139 x 145 buttons took a 1 s commit on this machine. */
export const CANVAS_MATRIX_CELLS = 2500;

const cellSize = (columns: number) => Math.max(3, Math.min(14, Math.floor(720 / columns)));

/**
 * The heatmap of a crowded pair of photos, on one canvas: the same colours and readout as the table, a pointer or
 * the arrow keys pick a cell. The match list stays the accessible list of what matched.
 */
export const MatrixCanvas = memo(function MatrixCanvas({ matrix, facesA, facesB, pairs, threshold, scaleMax }: HeatmapProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const highlight = useStore((s) => s.highlight);
  const fit = useStore((s) => s.embedder?.calibration?.fit);
  const [focused, setFocused] = useState<{ a: number; b: number } | null>(null);
  const rows = facesA.length;
  const columns = facesB.length;
  const size = cellSize(columns);
  const matched = useMemo(() => new Set(pairs.map((p) => p.a * columns + p.b)), [pairs, columns]);
  const shown = focused ?? (highlight.A !== null && highlight.B !== null ? { a: highlight.A, b: highlight.B } : null);

  useEffect(() => {
    const context = canvas.current?.getContext('2d');
    if (!context) return;
    for (let a = 0; a < rows; a++) {
      for (let b = 0; b < columns; b++) {
        const distance = matrix[a][b];
        context.fillStyle = cellPaint(distance, distance <= threshold, scaleMax).background;
        context.clearRect(b * size, a * size, size, size);
        context.fillRect(b * size, a * size, size, size);
      }
    }
    context.strokeStyle = getComputedStyle(canvas.current!).color;
    context.lineWidth = Math.max(1, size / 5);
    for (const cell of matched) {
      const a = Math.floor(cell / columns);
      const b = cell % columns;
      context.strokeRect(b * size + 0.5, a * size + 0.5, size - 1, size - 1);
    }
  }, [matrix, matched, threshold, scaleMax, rows, columns, size]);

  const select = (a: number, b: number) => {
    setFocused({ a, b });
    setHighlight({ A: a, B: b });
  };
  const clear = () => {
    setFocused(null);
    setHighlight({ A: null, B: null });
  };
  const onPointerMove = (event: PointerEvent<HTMLCanvasElement>) => {
    const rect = event.currentTarget.getBoundingClientRect();
    const b = Math.floor(((event.clientX - rect.left) / rect.width) * columns);
    const a = Math.floor(((event.clientY - rect.top) / rect.height) * rows);
    if (a >= 0 && a < rows && b >= 0 && b < columns && (shown?.a !== a || shown?.b !== b)) select(a, b);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLCanvasElement>) => {
    const step: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    const move = step[event.key];
    if (!move) return;
    event.preventDefault();
    const from = shown ?? { a: 0, b: 0 };
    select(Math.min(rows - 1, Math.max(0, from.a + move[0])), Math.min(columns - 1, Math.max(0, from.b + move[1])));
  };

  return (
    <div className="matrix-block">
      <MatrixReadout
        matrix={matrix}
        shown={shown}
        matched={shown !== null && matched.has(shown.a * columns + shown.b)}
        threshold={threshold}
        fit={fit}
        hint="Point at a cell, or focus the heatmap and use the arrow keys, to read its distance."
      />
      <div className="matrix-scroll">
        <div className="matrix-canvas-frame" style={{ width: columns * size }}>
          <canvas
            ref={canvas}
            className="matrix-canvas"
            width={columns * size}
            height={rows * size}
            role="img"
            tabIndex={0}
            aria-label={`Distance matrix, ${rows} faces of photo A by ${columns} of photo B, ${pairs.length} matched; the match list names each match`}
            onPointerMove={onPointerMove}
            onPointerLeave={clear}
            onKeyDown={onKeyDown}
            onBlur={clear}
          />
          {shown && (
            <div
              className="matrix-canvas-mark"
              aria-hidden="true"
              style={{ left: shown.b * size - 1, top: shown.a * size - 1, width: size + 2, height: size + 2 }}
            />
          )}
        </div>
      </div>
    </div>
  );
});
