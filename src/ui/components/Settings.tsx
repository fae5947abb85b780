import { useId } from 'react';
import { BACKEND_LABELS, BACKEND_SHORT_NAMES, type BackendPreference, type BackendReport } from '../../worker/protocol';
import { chooseBackend, deleteStoredWeights } from '../actions';
import { useStore, type AppState } from '../store';

const CHOICES: { value: BackendPreference; label: string }[] = [
  { value: 'auto', label: 'Auto' },
  { value: 'webgpu', label: 'WebGPU (GPU)' },
  { value: 'webgl', label: 'WebGL (GPU)' },
  { value: 'wasm', label: 'WASM (CPU)' },
];

function describe(backend: BackendReport): string {
  const name = BACKEND_SHORT_NAMES[backend.name];
  return `${name}: ${backend.detail}, ${backend.crossOriginIsolated ? 'cross-origin isolated' : 'not cross-origin isolated'}`;
}

/** Why this backend runs, in words: the fallback reason wins, since it explains a surprise. */
export function why(backend: BackendReport, state: Pick<AppState, 'backendPreference' | 'backendPreferenceSource'>): string {
  const name = BACKEND_SHORT_NAMES[backend.name];
  if (state.backendPreference !== 'auto' && backend.name === state.backendPreference) {
    return state.backendPreferenceSource === 'url' ? 'Requested by the ?backend= address parameter.' : 'Chosen in these settings.';
  }
  if (backend.fallbackReason) return `${name} because ${backend.fallbackReason}.`;
  if (state.backendPreference === 'auto') return backend.reason ?? 'Auto.';
  return `Switched to ${name} after the previous backend failed.`;
}

/** What runs and on what, the backend override, and the user's stored model weights. */
export function Settings() {
  const backend = useStore((s) => s.backend);
  const preference = useStore((s) => s.backendPreference);
  const source = useStore((s) => s.backendPreferenceSource);
  const ready = useStore((s) => s.modelsReady);
  const storedBytes = useStore((s) => s.storedWeightsBytes);
  const selectId = useId();

  return (
    <details className="settings">
      <summary>Settings</summary>
      <section className="settings-body" aria-label="Settings">
        <p>
          Running on:{' '}
          <span className="settings-backend" data-backend={backend?.name} title={backend ? BACKEND_LABELS[backend.name] : undefined}>
            {backend ? describe(backend) : 'starting…'}
          </span>
        </p>
        {backend && <p className="muted">{why(backend, { backendPreference: preference, backendPreferenceSource: source })}</p>}
        <div className="settings-row">
          <label htmlFor={selectId}>Compute backend</label>
          <select
            id={selectId}
            value={preference}
            disabled={!ready}
            onChange={(event) => void chooseBackend(event.target.value as BackendPreference)}
          >
            {CHOICES.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        </div>
        <h3>Stored weights</h3>
        {storedBytes === null ? (
          <p className="muted">No model weights are stored in this browser.</p>
        ) : (
          <div className="settings-row">
            <span className="stored-weights">VGGFace2 ResNet50: {(storedBytes / 1e6).toFixed(1)} MB</span>
            <button type="button" className="button subtle small" disabled={!ready} onClick={() => void deleteStoredWeights()}>
              Delete stored weights
            </button>
          </div>
        )}
      </section>
    </details>
  );
}
