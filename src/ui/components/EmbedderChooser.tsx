import { useId, useRef } from 'react';
import type { EmbedderId } from '../../ml/types';
import { chooseEmbedder, importResnet50 } from '../actions';
import { useStore } from '../store';

const LOAD_RESNET50 = 'load-resnet50';

/** Built-in embedders, the stored user model, and an entry that asks for the ResNet50 .h5 file once. */
export function EmbedderChooser() {
  const embedders = useStore((s) => s.embedders);
  const current = useStore((s) => s.embedder);
  const ready = useStore((s) => s.modelsReady);
  const selectId = useId();
  const fileInput = useRef<HTMLInputElement>(null);
  const hasResnet50 = embedders.some((e) => e.id === 'vggface2-resnet50');

  return (
    <div className="embedder-chooser">
      <label htmlFor={selectId}>Face model</label>
      <select
        id={selectId}
        value={current?.id ?? ''}
        disabled={!ready || embedders.length === 0}
        onChange={(event) => {
          if (event.target.value === LOAD_RESNET50) {
            fileInput.current?.click();
            return;
          }
          void chooseEmbedder(event.target.value as EmbedderId);
        }}
      >
        {embedders.length === 0 && <option value="">Loading…</option>}
        {embedders.map((e) => (
          <option key={e.id} value={e.id}>
            {e.label}
          </option>
        ))}
        <option value={LOAD_RESNET50}>
          {hasResnet50 ? 'VGGFace2 ResNet50: replace weights file…' : 'VGGFace2 ResNet50: load weights file…'}
        </option>
      </select>
      <input
        ref={fileInput}
        type="file"
        accept=".h5,.hdf5"
        className="visually-hidden"
        aria-label="VGGFace2 ResNet50 weights file (.h5)"
        tabIndex={-1}
        onChange={(event) => {
          const file = event.target.files?.[0];
          event.target.value = '';
          if (file) void importResnet50(file);
        }}
      />
    </div>
  );
}
