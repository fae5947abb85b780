import { useId, useState } from 'react';
import type { MatchMode, MatchPair } from '../../ml/types';
import { resetThreshold, setMode, setThreshold } from '../actions';
import { EXPORT_FILE_NAME, downloadBlob, modeLabel, renderMatchesPng } from '../export-png';
import { pushAlert, slotPhoto, thresholdMax, useStore } from '../store';
import { OperatingPoints } from './OperatingPoints';

const MODES: MatchMode[] = ['all-under-threshold', 'one-to-one'];
const STEP = 0.005;

/** Threshold, pairing mode and export. Everything here works on the stored matrix: no model re-runs. */
export function Controls({ pairs }: { pairs: MatchPair[] }) {
  const embedder = useStore((s) => s.embedder);
  const threshold = useStore((s) => s.threshold);
  const mode = useStore((s) => s.mode);
  const max = useStore(thresholdMax);
  const sliderId = useId();
  const hintId = useId();
  const [exporting, setExporting] = useState(false);
  const metric = embedder?.metric ?? 'cosine';
  const defaultThreshold = embedder?.defaultThreshold ?? 0.5;

  const exportPng = async () => {
    const state = useStore.getState();
    if (!state.embedder) return;
    const [a, b] = [slotPhoto(state, 'A'), slotPhoto(state, 'B')];
    setExporting(true);
    try {
      const blob = await renderMatchesPng({
        pairs,
        facesA: a.faces,
        facesB: b.faces,
        nameA: a.name,
        nameB: b.name,
        embedder: state.embedder,
        threshold: state.threshold,
        mode: state.mode,
      });
      downloadBlob(blob, EXPORT_FILE_NAME);
    } catch (error) {
      pushAlert(`The export failed: ${(error as Error).message}`);
    } finally {
      setExporting(false);
    }
  };

  return (
    <div className="controls">
      <div className="threshold">
        <div className="threshold-head">
          <label htmlFor={sliderId}>Threshold</label>
          <output htmlFor={sliderId} className="mono threshold-value">
            {threshold.toFixed(3)}
          </output>
          <button
            type="button"
            className="button subtle small"
            onClick={resetThreshold}
            disabled={!embedder || Math.abs(threshold - defaultThreshold) < 1e-9}
          >
            Reset to {defaultThreshold.toFixed(3)}
          </button>
        </div>
        <input
          id={sliderId}
          type="range"
          min={0}
          max={max}
          step={STEP}
          value={Math.min(threshold, max)}
          aria-describedby={hintId}
          disabled={!embedder}
          aria-valuetext={`${metric} distance ${threshold.toFixed(3)}`}
          onChange={(event) => setThreshold(Number(event.target.value))}
        />
        <p id={hintId} className="hint">
          {embedder ? (
            <>
              Pairs with {metric} distance ≤ threshold match. {embedder.calibration ? 'Calibrated' : 'Recipe'} default for{' '}
              {embedder.label}: <span className="mono">{defaultThreshold.toFixed(3)}</span>.
              {embedder.calibration ? ' Probabilities are as measured on LFW pairs, half of them the same person.' : ''}
            </>
          ) : (
            'Available once the face model is loaded.'
          )}
        </p>
        <OperatingPoints embedder={embedder} threshold={threshold} />
      </div>

      <fieldset className="mode" disabled={!embedder}>
        <legend>Pairing</legend>
        {MODES.map((m) => (
          <label key={m} className={`mode-option${mode === m ? ' is-selected' : ''}`}>
            <input type="radio" name="pairing-mode" value={m} checked={mode === m} onChange={() => setMode(m)} />
            {modeLabel(m)}
          </label>
        ))}
      </fieldset>

      <button type="button" className="button primary" onClick={() => void exportPng()} disabled={pairs.length === 0 || exporting}>
        Export matches (PNG)
      </button>
    </div>
  );
}
