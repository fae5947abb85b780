// A button-looking label over a visually hidden file input: the input keeps the accessible name (and works with
// setInputFiles and assistive tech), the label is what people click.
import { useId, type MouseEvent, type ReactNode, type Ref } from 'react';

interface FileButtonProps {
  /** the input's accessible name */
  label: string;
  children: ReactNode;
  onFiles(files: File[]): void;
  accept?: string;
  multiple?: boolean;
  /** a folder input (webkitdirectory) */
  folder?: boolean;
  className?: string;
  /** a click on the label; preventDefault() there keeps the file chooser closed (for another picker) */
  onLabelClick?(event: MouseEvent<HTMLLabelElement>): void;
  /** the input itself, for another control that opens the same chooser */
  inputRef?: Ref<HTMLInputElement>;
}

export function FileButton({ label, children, onFiles, accept, multiple, folder, className = 'button', onLabelClick, inputRef }: FileButtonProps) {
  const id = useId();
  return (
    <>
      <label className={className} htmlFor={id} onClick={onLabelClick}>
        {children}
      </label>
      <input
        ref={inputRef}
        id={id}
        className="visually-hidden"
        type="file"
        accept={accept}
        multiple={multiple}
        aria-label={label}
        {...(folder ? { webkitdirectory: '' } : {})}
        onChange={(event) => {
          const files = Array.from(event.target.files ?? []);
          // cleared, so choosing the same file again is a change too
          event.target.value = '';
          if (files.length > 0) onFiles(files);
        }}
      />
    </>
  );
}
