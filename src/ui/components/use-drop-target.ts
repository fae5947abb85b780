import { useState, type DragEvent } from 'react';

/**
 * A region that takes dropped files: `dragging` while something is held over it (for its outline), and the
 * handlers to spread on it; `onDrop` gets the drop's data once the browser's own handling is prevented.
 */
export function useDropTarget(onDrop: (data: DataTransfer) => void) {
  const [dragging, setDragging] = useState(false);
  return {
    dragging,
    handlers: {
      onDragOver: (event: DragEvent<HTMLElement>) => {
        event.preventDefault();
        event.dataTransfer.dropEffect = 'copy';
        setDragging(true);
      },
      onDragLeave: (event: DragEvent<HTMLElement>) => {
        if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDragging(false);
      },
      onDrop: (event: DragEvent<HTMLElement>) => {
        event.preventDefault();
        setDragging(false);
        onDrop(event.dataTransfer);
      },
    },
  };
}
