// Offline readiness and updates from the service worker (vite-plugin-pwa, registerType 'prompt').
// "Ready for offline use" appears only once a service worker has precached the whole app: the shell,
// the tfjs WASM binaries and the built-in models. A new version is offered, and applied only on request.
import { useEffect, useState } from 'react';
import { registerSW } from 'virtual:pwa-register';
import { useStore } from '../store';

type OfflineState = 'unsupported' | 'installing' | 'ready' | 'failed';

interface PwaState {
  offline: OfflineState;
  updateReady: boolean;
  /** another tab accepted a new version: this one still runs the old code, whose files are gone from the cache */
  replacedElsewhere: boolean;
}

let state: PwaState = { offline: 'installing', updateReady: false, replacedElsewhere: false };
/** set when the person accepts the update in this tab: the new worker taking control then reloads it */
let accepting = false;
const listeners = new Set<(s: PwaState) => void>();
let update: ((reload?: boolean) => Promise<void>) | null = null;
let started = false;

function set(patch: Partial<PwaState>): void {
  state = { ...state, ...patch };
  for (const listener of listeners) listener(state);
}

function start(): void {
  if (started) return;
  started = true;
  if (!('serviceWorker' in navigator)) {
    set({ offline: 'unsupported' });
    return;
  }
  // Reload when the accepted version takes control. registerSW reloads only for an update it counts as its own,
  // and one found by a later check in the same tab's life it counts as "external": the new worker took control
  // while the page kept running the old code (seen in e2e/update.spec.ts). The first install's claim is no update.
  let controlled = navigator.serviceWorker.controller !== null;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (!controlled) {
      controlled = true;
      return;
    }
    if (accepting) window.location.reload();
    else set({ updateReady: false, replacedElsewhere: true });
  });
  update = registerSW({
    immediate: true,
    // First install: fired once the new worker has precached everything and activated.
    onOfflineReady: () => set({ offline: 'ready' }),
    onNeedRefresh: () => set({ updateReady: true }),
    onRegisteredSW: (_url, registration) => {
      // Later visits: an active worker only exists after a complete precache (install is all-or-nothing).
      if (registration?.active) set({ offline: 'ready' });
      // A tab left open still hears of a new version: the browser checks only on navigation by itself.
      if (registration) watchForUpdates(registration);
    },
    onRegisterError: () => set({ offline: 'failed' }),
  });
}

const UPDATE_CHECK_MS = 60 * 60 * 1000;

function watchForUpdates(registration: ServiceWorkerRegistration): void {
  const check = () => {
    if (navigator.onLine) registration.update().catch(() => undefined);
  };
  setInterval(check, UPDATE_CHECK_MS);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') check();
  });
}

export function OfflineStatus() {
  const hasPhotos = useStore((s) => Object.values(s.photos).some((photo) => photo.file !== null));
  const [pwa, setPwa] = useState(state);
  useEffect(() => {
    listeners.add(setPwa);
    start();
    setPwa(state);
    return () => {
      listeners.delete(setPwa);
    };
  }, []);

  return (
    <div className="offline-status">
      {pwa.offline === 'ready' ? (
        <span className="offline-badge" role="status" aria-label="Offline readiness">
          Ready for offline use
        </span>
      ) : null}
      {pwa.updateReady ? (
        <span className="update-offer" role="status" aria-label="Update available">
          A new version is available{hasPhotos ? ' (the photos will need to be chosen again)' : ''}.{' '}
          <button
            type="button"
            className="button small"
            onClick={() => {
              accepting = true;
              void update?.(true);
            }}
          >
            Reload to update
          </button>
        </span>
      ) : null}
      {pwa.replacedElsewhere ? (
        <span className="update-offer" role="status" aria-label="Update available">
          A new version was installed in another tab.{' '}
          <button type="button" className="button small" onClick={() => window.location.reload()}>
            Reload to update
          </button>
        </span>
      ) : null}
    </div>
  );
}
