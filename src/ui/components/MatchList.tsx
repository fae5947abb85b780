import type { MatchPair } from '../../ml/types';
import { matchLabel, pairCertainty } from '../match-words';
import { setHighlight, useStore, type ShownFace } from '../store';
import { PAIR_COLORS } from '../colors';
import { CropImage } from './CropImage';

/**
 * Matched pairs, best first: crop A, crop B, the distance, the calibrated same-person probability (when the embedder
 * has one), and how far under the threshold it sits. Pairs between 20% and 80% are marked uncertain.
 */
export function MatchList({ pairs, facesA, facesB, threshold }: { pairs: MatchPair[]; facesA: ShownFace[]; facesB: ShownFace[]; threshold: number }) {
  const highlight = useStore((s) => s.highlight);
  const fit = useStore((s) => s.embedder?.calibration?.fit);
  return (
    <ol className="match-list" aria-label="Matches">
      {pairs.map((pair, rank) => {
        const active = highlight.A === pair.a && highlight.B === pair.b;
        const strength = threshold > 0 ? Math.max(0, 1 - pair.distance / threshold) : 0;
        const sure = pairCertainty(fit, pair.distance);
        const uncertain = sure?.uncertain ?? false;
        return (
          <li
            key={`${pair.a}-${pair.b}`}
            className={`match${active ? ' is-active' : ''}${uncertain ? ' is-uncertain' : ''}`}
            style={{ '--face-color': PAIR_COLORS[rank % PAIR_COLORS.length] } as React.CSSProperties}
            tabIndex={0}
            aria-label={matchLabel(pair, fit)}
            onPointerEnter={() => setHighlight({ A: pair.a, B: pair.b })}
            onPointerLeave={() => setHighlight({ A: null, B: null })}
            onFocus={() => setHighlight({ A: pair.a, B: pair.b })}
            onBlur={() => setHighlight({ A: null, B: null })}
          >
            <CropImage src={facesA[pair.a].cropUrl} label={`Face A${pair.a + 1}`} className="match-crop" />
            <CropImage src={facesB[pair.b].cropUrl} label={`Face B${pair.b + 1}`} className="match-crop" />
            <div className="match-text">
              <span className="match-faces">
                A{pair.a + 1} ↔ B{pair.b + 1}
              </span>
              <span className="match-score">
                <span className="mono match-distance" data-distance={pair.distance}>
                  {pair.distance.toFixed(3)}
                </span>
                {sure && (
                  <>
                    {' · '}
                    <span className="match-probability" data-probability={sure.probability}>
                      {sure.said} same person
                    </span>
                  </>
                )}
                {uncertain && <span className="uncertain-tag">uncertain</span>}
              </span>
              <span className="meter" aria-hidden="true">
                <span style={{ width: `${Math.round(strength * 100)}%` }} />
              </span>
            </div>
          </li>
        );
      })}
    </ol>
  );
}
