import { errorRatesAt, formatRate } from '../../ml/similarity';
import type { EmbedderInfo, OperatingPointId } from '../../ml/types';
import { setThreshold } from '../actions';

const POINTS: { id: OperatingPointId; label: string; says: string }[] = [
  { id: 'strict', label: 'Strict', says: 'about 1 in 1,000 different-person pairs match' },
  { id: 'balanced', label: 'Balanced', says: 'best accuracy on LFW (the default)' },
  { id: 'loose', label: 'Loose', says: 'misses about 1 in 100 same-person pairs' },
];

/** "1 in 400 different-person pairs", "1.2% of ...", "no ...". */
function share(rate: number, noun: string): string {
  const said = formatRate(rate);
  if (said === 'none') return `no ${noun}`;
  if (said === 'all') return `all ${noun}`;
  return said.startsWith('1 in') ? `${said} ${noun}` : `${said} of ${noun}`;
}

/** Named thresholds from LFW beside the slider, and what the current threshold means there. */
export function OperatingPoints({ embedder, threshold }: { embedder: EmbedderInfo | null; threshold: number }) {
  if (!embedder) return null;
  const calibration = embedder.calibration;
  if (!calibration) {
    return (
      <p className="uncalibrated" role="note">
        {embedder.label} is not calibrated here: no same-person probabilities or operating points, and its default{' '}
        <span className="mono">{embedder.defaultThreshold.toFixed(3)}</span> is the original recipe's threshold, not one
        measured in this app.
      </p>
    );
  }
  const rates = errorRatesAt(calibration.rates, threshold);
  return (
    <>
      <div className="operating-points" role="group" aria-label="Operating points">
        {POINTS.map(({ id, label, says }) => {
          const value = calibration.operatingPoints[id];
          const on = Math.abs(value - threshold) < 1e-9;
          return (
            <button key={id} type="button" className={`operating-point${on ? ' is-selected' : ''}`} aria-pressed={on} onClick={() => setThreshold(value)}>
              <span className="operating-point-name">{label}</span> <span className="mono">{value.toFixed(3)}</span>
              <span className="operating-point-says">{says}</span>
            </button>
          );
        })}
      </div>
      <p className="rates" aria-live="polite">
        On LFW at <span className="mono">{threshold.toFixed(3)}</span>: false matches,{' '}
        <strong className="false-match-rate">{share(rates.falseMatchRate, 'different-person pairs')}</strong>; misses,{' '}
        <strong className="miss-rate">{share(rates.missRate, 'same-person pairs')}</strong>.
      </p>
    </>
  );
}
