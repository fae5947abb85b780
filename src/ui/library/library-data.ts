// The Library's data as the views read it: live queries over the one persistence module, which the worker writes.
import { liveQuery } from 'dexie';
import { useEffect, useState } from 'react';
import { LibraryDb } from '../../storage/library-db';

let db: LibraryDb | null = null;
export function libraryDb(): LibraryDb {
  db ??= new LibraryDb();
  return db;
}

/** A query's latest answer, re-read whenever the tables it read change (also when the worker writes them). */
export function useLive<T>(query: (db: LibraryDb) => Promise<T>, deps: unknown[], initial: T): T {
  const [value, setValue] = useState<T>(initial);
  useEffect(() => {
    const subscription = liveQuery(() => query(libraryDb())).subscribe({ next: setValue, error: () => undefined });
    return () => subscription.unsubscribe();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return value;
}

/** An object URL for a stored blob, revoked when the component lets go of it. */
export function useBlobUrl(load: () => Promise<Blob | undefined>, key: string): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    let current: string | null = null;
    let live = true;
    void load().then((blob) => {
      if (!live || !blob) return;
      current = URL.createObjectURL(blob);
      setUrl(current);
    });
    return () => {
      live = false;
      if (current) URL.revokeObjectURL(current);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  return url;
}
