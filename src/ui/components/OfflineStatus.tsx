// Offline readiness and updates from the service worker (vite-plugin-pwa, registerType 'prompt').
// "Ready for offline use" appears only once a service worker has precached the whole app: the shell,
// the tfjs WASM binaries and the built-in models. A new version is offered, and applied only on request.
import { useEffect, useState } from 'react';
import { registerSW } from 'virtual:pwa-register';

type OfflineState = 'unsupported' | 'installing' | 'ready' | 'failed';

interface PwaState {
  offline: OfflineState;
  updateReady: boolean;
}

let state: PwaState = { offline: 'installing', updateReady: false };
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
  update = registerSW({
    immediate: true,
    // First install: fired once the new worker has precached everything and activated.
    onOfflineReady: () => set({ offline: 'ready' }),
    onNeedRefresh: () => set({ updateReady: true }),
    onRegisteredSW: (_url, registration) => {
      // Later visits: an active worker only exists after a complete precache (install is all-or-nothing).
      if (registration?.active) set({ offline: 'ready' });
    },
    onRegisterError: () => set({ offline: 'failed' }),
  });
}

export function OfflineStatus() {
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
          A new version is available.{' '}
          <button type="button" className="button small" onClick={() => void update?.(true)}>
            Reload to update
          </button>
        </span>
      ) : null}
    </div>
  );
}
