import { useDeferredValue, useMemo, type ComponentProps } from 'react';
import { faceColors } from './colors';
import { LibraryView } from './library/LibraryView';
import { showView } from './library/library-actions';
import { Controls } from './components/Controls';
import { DistanceMatrix } from './components/DistanceMatrix';
import { EmbedderChooser } from './components/EmbedderChooser';
import { CANVAS_MATRIX_CELLS, MatrixCanvas } from './components/MatrixCanvas';
import { MatchList } from './components/MatchList';
import { OfflineStatus } from './components/OfflineStatus';
import { PhotoPanel } from './components/PhotoPanel';
import { Settings } from './components/Settings';
import { Alerts, BackendBadge, ModelProgress } from './components/StatusBar';
import { currentMatches, currentMatrix, slotPhoto, thresholdMax, useStore } from './store';

function ResultsPlaceholder() {
  const a = useStore((s) => slotPhoto(s, 'A'));
  const b = useStore((s) => slotPhoto(s, 'B'));
  let text = 'Add a photo to each panel to see who appears in both.';
  if (a.status === 'done' && a.faces.length === 0) text = 'No faces found in photo A, so there is nothing to compare.';
  else if (b.status === 'done' && b.faces.length === 0) text = 'No faces found in photo B, so there is nothing to compare.';
  else if (a.imageUrl && b.imageUrl) text = 'Comparing faces…';
  return <p className="results-placeholder">{text}</p>;
}

/**
 * The heatmap renders at transition priority (React slices the work and yields between slices): a slider move
 * updates the match list at once, and a crowded matrix never blocks input or a frame.
 */
function DeferredMatrix(props: ComponentProps<typeof DistanceMatrix>) {
  const matrix = useDeferredValue(props.matrix);
  const facesA = useDeferredValue(props.facesA);
  const facesB = useDeferredValue(props.facesB);
  const pairs = useDeferredValue(props.pairs);
  const threshold = useDeferredValue(props.threshold);
  const scaleMax = useDeferredValue(props.scaleMax);
  // (all six switch to new values in the same background render, so they always belong together)
  const Heatmap = facesA.length * facesB.length > CANVAS_MATRIX_CELLS ? MatrixCanvas : DistanceMatrix;
  return <Heatmap matrix={matrix} facesA={facesA} facesB={facesB} pairs={pairs} threshold={threshold} scaleMax={scaleMax} />;
}

function Results() {
  const matrix = useStore(currentMatrix);
  const pairs = useStore(currentMatches);
  const facesA = useStore((s) => slotPhoto(s, 'A').faces);
  const facesB = useStore((s) => slotPhoto(s, 'B').faces);
  const threshold = useStore((s) => s.threshold);
  const mode = useStore((s) => s.mode);
  const scaleMax = useStore(thresholdMax);
  const hasMatrix = matrix !== null && facesA.length > 0 && facesB.length > 0;

  return (
    <section className="results" aria-label="Results">
      <Controls pairs={hasMatrix ? pairs : []} />
      {hasMatrix ? (
        <div className="results-grid">
          <div className="card">
            <h2>
              Matches <span className="count">{pairs.length}</span>
            </h2>
            {pairs.length === 0 ? (
              <p className="muted empty-matches">
                No pair is under the threshold{mode === 'one-to-one' ? ' (one-to-one)' : ''}. Raise it to see near misses.
              </p>
            ) : null}
            <MatchList pairs={pairs} facesA={facesA} facesB={facesB} threshold={threshold} />
          </div>
          <div className="card">
            <h2>Distances</h2>
            <DeferredMatrix matrix={matrix} facesA={facesA} facesB={facesB} pairs={pairs} threshold={threshold} scaleMax={scaleMax} />
          </div>
        </div>
      ) : (
        <ResultsPlaceholder />
      )}
    </section>
  );
}

export function App() {
  const pairs = useStore(currentMatches);
  const countA = useStore((s) => slotPhoto(s, 'A').faces.length);
  const countB = useStore((s) => slotPhoto(s, 'B').faces.length);
  const notice = useStore((s) => s.notice);
  const view = useStore((s) => s.view);
  const embedderLabel = useStore((s) => s.embedder?.label.replace(/ \(.*\)$/, ''));
  const colors = useMemo(() => faceColors(pairs, countA, countB), [pairs, countA, countB]);

  return (
    <div className="app">
      <header className="app-header">
        <div className="brand">
          <img src="/favicon.svg" alt="" width={28} height={28} />
          <div>
            <h1>facematch</h1>
            <p className="tagline">Find the same people in two photos. Nothing leaves your browser.</p>
          </div>
        </div>
        <div className="header-tools">
          <EmbedderChooser />
          <BackendBadge />
          <OfflineStatus />
        </div>
        <Settings />
      </header>
      <ModelProgress />
      <Alerts />
      <nav className="views" aria-label="Views">
        {(['compare', 'library'] as const).map((name) => (
          <a
            key={name}
            href={name === 'library' ? '/library' : '/'}
            aria-current={view === name ? 'page' : undefined}
            onClick={(event) => {
              event.preventDefault();
              showView(name);
            }}
          >
            {name === 'library' ? 'Library' : 'Compare'}
          </a>
        ))}
      </nav>
      <main>
        {view === 'library' ? (
          <LibraryView />
        ) : (
          <>
            <div className="photos">
              <PhotoPanel slot="A" colors={colors} />
              <PhotoPanel slot="B" colors={colors} />
            </div>
            <Results />
          </>
        )}
      </main>
      <footer className="app-footer">
        {notice && (
          <p role="status" className="notice">
            {notice}
          </p>
        )}
        <p className="muted">
          Faces are found with MTCNN and compared with {embedderLabel ?? 'face'} embeddings, in a Web Worker on this device.
        </p>
        <p className="muted app-version">facematch {__APP_VERSION__}</p>
      </footer>
    </div>
  );
}
