import { useEffect, useId, useState } from 'react';
import { UNSORTED, type LibraryDb, type LibraryFace, type LibraryPerson } from '../../storage/library-db';
import type { MergeSuggestion, PersonSearch } from '../../worker/protocol';
import { useStore } from '../store';
import { FileButton } from '../components/FileButton';
import { PhotoDetail } from './PhotoDetail';
import { useBlobUrl, useLive } from './library-data';
import {
  exportContactSheet,
  exportPeopleJson,
  findPersonByPhoto,
  importPeopleJson,
  mergePeople,
  mergeSuggestions,
  notThisPerson,
  regroupPeople,
  rejectMerge,
  renamePerson,
  setPersonHidden,
} from './people-actions';

const personName = (person: LibraryPerson) => person.name ?? 'Unnamed person';
const count = (n: number, word: string) => `${n.toLocaleString('en')} ${word}${n === 1 ? '' : 's'}`;

function FaceImage({ face, alt, className = 'person-face' }: { face: LibraryFace; alt: string; className?: string }) {
  const url = useBlobUrl(() => Promise.resolve(face.crop), face.id);
  return url ? <img className={className} src={url} alt={alt} /> : <span className={`${className} tile-placeholder`} role="img" aria-label={alt} />;
}

function Cover({ faceId, className }: { faceId: string; className?: string }) {
  const face = useLive((db) => (faceId ? db.face(faceId) : Promise.resolve(undefined)), [faceId], undefined as LibraryFace | undefined);
  return face ? <FaceImage face={face} alt="" className={className} /> : <span className={`${className ?? 'person-face'} tile-placeholder`} aria-hidden="true" />;
}

/** One person (or the unsorted faces): their faces, each removable; a name; the photos they are in. */
function PersonDetail({
  personId,
  people,
  signature,
  onClose,
  onOpenPhoto,
}: {
  personId: string;
  people: LibraryPerson[];
  signature: string;
  onClose(): void;
  onOpenPhoto(id: string): void;
}) {
  const loaded = useLive((db) => db.person(personId), [personId], undefined as LibraryPerson | undefined);
  // the last person's row until this one's is read: never shown, and never renamed, as this person
  const person = loaded?.id === personId ? loaded : undefined;
  // stamped with whose faces they are (none before the first read), so the region never shows another person's faces, or none, as theirs
  const read = useLive(async (db) => ({ personId, faces: await db.facesOfPerson(personId) }), [personId], { personId: null as string | null, faces: [] as Awaited<ReturnType<LibraryDb['facesOfPerson']>> });
  const faces = read.personId === personId ? read.faces : [];
  const unsorted = personId === UNSORTED;
  const [draft, setDraft] = useState<string | null>(null);
  const nameId = useId();
  const photos = [...new Map(faces.map(({ photo }) => [photo.id, photo])).values()];
  const commitName = () => {
    if (draft !== null && person && draft.trim() !== (person.name ?? '')) void renamePerson(person.id, draft);
    setDraft(null);
  };
  if (!unsorted && !person) return null;
  return (
    <section className="person-detail" aria-label="Person" data-person={read.personId === personId ? personId : undefined}>
      <header className="library-header">
        <h3>{unsorted ? 'Unsorted faces' : personName(person!)}</h3>
        <span className="muted">
          {count(faces.length, 'face')} in {count(photos.length, 'photo')}
        </span>
        <div className="panel-actions">
          {!unsorted && (
            <>
              <label htmlFor={nameId} className="muted">
                Name
              </label>
              <input
                id={nameId}
                type="text"
                className="person-name"
                aria-label="Name"
                placeholder="Unnamed person"
                value={draft ?? person!.name ?? ''}
                onChange={(event) => setDraft(event.target.value)}
                onBlur={commitName}
                onKeyDown={(event) => {
                  if (event.key === 'Enter') commitName();
                  if (event.key === 'Escape') setDraft(null);
                }}
              />
              <button type="button" className="button small subtle" onClick={() => void setPersonHidden(person!.id, !person!.hidden)}>
                {person!.hidden ? 'Show this person' : 'Hide this person'}
              </button>
            </>
          )}
          <button type="button" className="button small subtle" onClick={onClose}>
            Close
          </button>
        </div>
      </header>
      <ul className="person-faces" aria-label="Faces">
        {faces.map(({ face, photo }) => (
          <li key={face.id} data-box={face.box.join(',')}>
            <FaceImage face={face} alt={`Face in ${photo.name}`} />
            {!unsorted && (
              <button type="button" className="button small subtle" onClick={() => void notThisPerson(face.id)}>
                Not this person
              </button>
            )}
          </li>
        ))}
      </ul>
      {!unsorted && <MergeSuggestions people={people} signature={signature} personId={personId} />}
      <h4>Photos</h4>
      <ul className="person-photos" aria-label="Photos of this person">
        {photos.map((photo) => (
          <li key={photo.id}>
            <button type="button" className="button small subtle" onClick={() => onOpenPhoto(photo.id)}>
              {photo.name}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** "Same person?": two people the grouping kept apart but that look alike; one click merges or keeps them apart. */
function MergeSuggestions({ people, signature, personId }: { people: LibraryPerson[]; signature: string; personId?: string }) {
  const [suggestions, setSuggestions] = useState<MergeSuggestion[]>([]);
  // bumps when a pair is kept apart: the people are unchanged, but the answer is not
  const [keptApart, setKeptApart] = useState(0);
  // asked for once the people settle: while photos are being indexed they change every second
  const indexing = useStore((s) => s.libraryProgress?.state === 'indexing');
  useEffect(() => {
    if (indexing) return;
    let live = true;
    void mergeSuggestions(3, personId).then((found) => live && setSuggestions(found));
    return () => {
      live = false;
    };
  }, [signature, indexing, personId, keptApart]);
  const byId = new Map(people.map((p) => [p.id, p]));
  const shown = suggestions.filter((s) => byId.has(s.a) && byId.has(s.b));
  if (shown.length === 0) return null;
  return (
    <section className="merge-suggestions" aria-label="Same person?">
      <h3>Same person?</h3>
      <ul>
        {shown.map(({ a, b }) => {
          const [pa, pb] = [byId.get(a)!, byId.get(b)!];
          return (
            <li key={`${a}|${b}`} role="group" aria-label={`${personName(pa)} and ${personName(pb)}`} data-pair={`${a}|${b}`}>
              <Cover faceId={pa.coverFaceId} className="person-cover" />
              <Cover faceId={pb.coverFaceId} className="person-cover" />
              <button type="button" className="button small" onClick={() => void mergePeople([a, b])}>
                Same person
              </button>
              <button
                type="button"
                className="button small subtle"
                onClick={() => {
                  // gone at once; the next answer fills the place
                  setSuggestions((current) => current.filter((s) => s.a !== a || s.b !== b));
                  void rejectMerge(a, b).then(() => setKeptApart((n) => n + 1));
                }}
              >
                Not the same
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function SearchResults({ search, onOpenPhoto }: { search: PersonSearch; onOpenPhoto(id: string): void }) {
  const threshold = useStore((s) => s.threshold);
  return (
    <section className="person-search" aria-label="Search">
      <p className="muted" role="status">
        {search.facesInQuery > 1 ? `Searched for the largest of ${search.facesInQuery} faces. ` : ''}
        {count(search.hits.length, 'photo')} within Compare’s threshold {threshold.toFixed(2)}
        {search.beyondThreshold > 0 ? `; ${count(search.beyondThreshold, 'photo')} beyond it` : ''}.
      </p>
      <ol aria-label="Search results">
        {search.hits.map((hit) => (
          <li key={hit.photoId}>
            <button type="button" className="button small subtle" onClick={() => onOpenPhoto(hit.photoId)}>
              {hit.name}, distance {hit.distance.toFixed(3)}
            </button>
          </li>
        ))}
      </ol>
    </section>
  );
}

/** The Library's people: grouped automatically, corrected by hand, searchable by photo. */
export function PeopleView() {
  const [showHidden, setShowHidden] = useState(false);
  const people = useLive((db) => db.people(showHidden), [showHidden], [] as LibraryPerson[]);
  const unsorted = useLive((db) => db.unsortedCount(), [], 0);
  const [openPerson, setOpenPerson] = useState<string | null>(null);
  const [openPhoto, setOpenPhoto] = useState<string | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [search, setSearch] = useState<PersonSearch | null>(null);
  const [searching, setSearching] = useState(false);
  const [withVectors, setWithVectors] = useState(false);
  const [regrouping, setRegrouping] = useState(false);
  const photo = useLive((db) => (openPhoto ? db.photo(openPhoto) : Promise.resolve(undefined)), [openPhoto], undefined);
  const signature = people.map((p) => `${p.id}:${p.faceCount}`).join(',');
  const chosen = [...selected].filter((id) => people.some((p) => p.id === id));

  return (
    <section className="people" aria-label="People of the library">
      <div className="panel-actions people-actions">
        <FileButton
          label="Find a person by photo"
          accept="image/*"
          onFiles={([file]) => {
            setSearching(true);
            void findPersonByPhoto(file).then((found) => {
              setSearching(false);
              if (found) setSearch(found);
            });
          }}
        >
          {searching ? 'Searching…' : 'Find a person by photo'}
        </FileButton>
        <button type="button" className="button subtle" disabled={chosen.length < 2} onClick={() => void mergePeople(chosen).then(() => setSelected(new Set()))}>
          Merge selected people
        </button>
        <button
          type="button"
          className="button subtle"
          aria-busy={regrouping}
          disabled={regrouping}
          onClick={() => {
            setRegrouping(true);
            void regroupPeople().finally(() => setRegrouping(false));
          }}
        >
          {regrouping ? 'Grouping everyone…' : 'Group everyone again'}
        </button>
        <button type="button" className="button subtle" onClick={() => void exportContactSheet()}>
          Export contact sheet
        </button>
        <button type="button" className="button subtle" onClick={() => void exportPeopleJson(withVectors)}>
          Export people
        </button>
        <label className="muted">
          <input type="checkbox" checked={withVectors} onChange={(event) => setWithVectors(event.target.checked)} /> with face vectors
        </label>
        <FileButton label="Import people" className="button subtle" accept="application/json,.json" onFiles={([file]) => void importPeopleJson(file)}>
          Import people
        </FileButton>
        <label className="muted">
          <input type="checkbox" checked={showHidden} onChange={(event) => setShowHidden(event.target.checked)} /> Show hidden people
        </label>
      </div>
      {search && <SearchResults search={search} onOpenPhoto={setOpenPhoto} />}
      {photo && <PhotoDetail photo={photo} onClose={() => setOpenPhoto(null)} />}
      {openPerson !== null && <PersonDetail key={openPerson} personId={openPerson} people={people} signature={signature} onClose={() => setOpenPerson(null)} onOpenPhoto={setOpenPhoto} />}
      <MergeSuggestions people={people} signature={signature} />
      {people.length === 0 && unsorted === 0 ? (
        <p className="results-placeholder">People appear here as photos are indexed: faces of the same person are grouped on this device.</p>
      ) : (
        <ul className="people-list" aria-label="People" data-count={people.length}>
          {people.map((person) => (
            <li key={person.id} className={`person-tile${person.hidden ? ' is-hidden' : ''}`} data-person={person.id} data-faces={person.faceCount}>
              <button type="button" className="tile-button" aria-label={`${personName(person)}, ${count(person.photoCount, 'photo')}`} onClick={() => setOpenPerson(person.id)}>
                <Cover faceId={person.coverFaceId} className="person-cover" />
                <span className="tile-caption" aria-hidden="true">
                  {personName(person)} · {count(person.photoCount, 'photo')}
                </span>
              </button>
              <label className="person-select">
                <input
                  type="checkbox"
                  aria-label="Select"
                  checked={selected.has(person.id)}
                  onChange={(event) => {
                    const next = new Set(selected);
                    if (event.target.checked) next.add(person.id);
                    else next.delete(person.id);
                    setSelected(next);
                  }}
                />
              </label>
            </li>
          ))}
        </ul>
      )}
      {unsorted > 0 && (
        <button type="button" className="button subtle" data-faces={unsorted} onClick={() => setOpenPerson(UNSORTED)}>
          Unsorted faces, {count(unsorted, 'face')}
        </button>
      )}
    </section>
  );
}
