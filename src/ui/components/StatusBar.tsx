import { BACKEND_LABELS } from '../../worker/protocol';
import { dismissAlert, useStore } from '../store';

function megabytes(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

/** Model loading progress: real bytes while downloading, indeterminate while warming up. */
export function ModelProgress() {
  const progress = useStore((s) => s.progress);
  const ready = useStore((s) => s.modelsReady);
  if (ready && !progress) return null;
  const downloading = progress?.phase === 'download' && progress.totalBytes > 0;
  const percent = downloading ? Math.min(100, Math.round((progress.loadedBytes / progress.totalBytes) * 100)) : undefined;
  const text = !progress
    ? 'Starting the face models…'
    : progress.phase === 'download'
      ? `Loading ${progress.label}: ${megabytes(progress.loadedBytes)} of ${megabytes(progress.totalBytes)} MB`
      : `Preparing ${progress.label}…`;
  return (
    <div className="model-progress">
      <div
        role="progressbar"
        aria-label="Loading face models"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={text}
        className={`progress-track${percent === undefined ? ' is-indeterminate' : ''}`}
      >
        <div className="progress-fill" style={{ width: percent === undefined ? undefined : `${percent}%` }} />
      </div>
      <span className="progress-text">{text}</span>
    </div>
  );
}

/** Errors for people, in one live region. */
export function Alerts() {
  const alerts = useStore((s) => s.alerts);
  return (
    <div role="alert" className="alerts">
      {alerts.map((alert) => (
        <div key={alert.id} className="alert">
          <span>{alert.text}</span>
          <button type="button" className="button subtle small" onClick={() => dismissAlert(alert.id)}>
            Dismiss
          </button>
        </div>
      ))}
    </div>
  );
}

export function BackendBadge() {
  const backend = useStore((s) => s.backend);
  if (!backend) return <span className="backend-badge muted">starting…</span>;
  const title = [
    backend.detail,
    backend.crossOriginIsolated ? 'cross-origin isolated' : 'not cross-origin isolated',
    backend.reason,
    backend.fallbackReason,
  ]
    .filter(Boolean)
    .join(' · ');
  return (
    <span className="backend-badge" title={title} data-backend={backend.name} data-isolated={backend.crossOriginIsolated}>
      {BACKEND_LABELS[backend.name]} <span className="muted">· {backend.detail}</span>
    </span>
  );
}
