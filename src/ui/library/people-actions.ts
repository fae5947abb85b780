// What the People section does: every edit and search goes to the worker, which groups faces and writes the result;
// the view reads it back from the database. Exports are read straight from the database.
import { pushAlert, useStore } from '../store';
import { libraryClient, whenModelsReady } from '../actions';
import { downloadBlob, withTextChunk } from '../export-png';
import type { PersonSearch } from '../../worker/protocol';
import { act } from './library-actions';
import { libraryDb } from './library-data';

export const PEOPLE_JSON_NAME = 'facematch-people.json';
export const CONTACT_SHEET_NAME = 'facematch-people.png';

const people = () => libraryClient();

export const renamePerson = (id: string, name: string) => act(() => people().people('peopleRename', id, name), 'rename the person');
export const setPersonHidden = (id: string, hidden: boolean) => act(() => people().people('peopleSetHidden', id, hidden), hidden ? 'hide the person' : 'show the person');
export const notThisPerson = (faceId: string) => act(() => people().people('peopleNotThisPerson', faceId), 'take the face out');
export const mergePeople = (ids: string[]) => act(() => people().people('peopleMerge', ids), 'merge the people');
export const rejectMerge = (a: string, b: string) => act(() => people().people('peopleRejectMerge', a, b), 'keep them apart');

export const regroupPeople = () =>
  act(async () => {
    await whenModelsReady();
    await people().people('peopleRegroup');
  }, 'group the faces again');

export async function mergeSuggestions(limit: number, personId?: string) {
  try {
    await whenModelsReady();
    return await people().people('peopleSuggestions', limit, personId);
  } catch {
    return []; // suggestions are a help, not a duty: none until the models are ready
  }
}

/** Searches the library for the largest face of a photo, up to Compare's threshold. */
export async function findPersonByPhoto(file: File): Promise<PersonSearch | undefined> {
  return act(async () => {
    await whenModelsReady();
    return people().people('peopleFind', file, useStore.getState().threshold);
  }, `search with “${file.name}”`);
}

export async function exportPeopleJson(withEmbeddings: boolean): Promise<void> {
  await act(async () => {
    const data = await libraryDb().exportPeople(withEmbeddings);
    downloadBlob(new Blob([JSON.stringify(data, null, 1)], { type: 'application/json' }), PEOPLE_JSON_NAME);
  }, 'export the people');
}

export async function importPeopleJson(file: File): Promise<void> {
  await act(async () => {
    let data: unknown;
    try {
      data = JSON.parse(await file.text());
    } catch {
      throw new Error(`“${file.name}” is not a JSON file`);
    }
    const result = await people().people('peopleImport', data);
    pushAlert(
      `Imported ${result.people} ${result.people === 1 ? 'person' : 'people'} with ${result.faces} faces` +
        (result.missingFaces > 0 ? `; ${result.missingFaces} faces are of photos not in this library` : '') +
        '.',
    );
  }, 'import the people');
}

const SHEET_FACE = 96;
const SHEET_PAD = 12;
const SHEET_LABEL = 180;
const SHEET_FACES_PER_ROW = 10;

/** One row per named person: the name, then their faces. The names and counts also go into a PNG text chunk. */
export async function exportContactSheet(): Promise<void> {
  await act(async () => {
    const rows = await libraryDb().namedPeopleWithFaces(SHEET_FACES_PER_ROW);
    if (rows.length === 0) throw new Error('name at least one person first');
    const width = SHEET_PAD + SHEET_LABEL + SHEET_FACES_PER_ROW * (SHEET_FACE + SHEET_PAD);
    const height = SHEET_PAD + rows.length * (SHEET_FACE + SHEET_PAD);
    const canvas = new OffscreenCanvas(width, height);
    const g = canvas.getContext('2d')!;
    g.fillStyle = '#ffffff';
    g.fillRect(0, 0, width, height);
    g.fillStyle = '#111111';
    g.font = '600 18px system-ui, sans-serif';
    g.textBaseline = 'middle';
    for (const [r, { person, faces }] of rows.entries()) {
      const y = SHEET_PAD + r * (SHEET_FACE + SHEET_PAD);
      g.fillText(person.name ?? '', SHEET_PAD, y + SHEET_FACE / 2, SHEET_LABEL - SHEET_PAD);
      for (const [i, face] of faces.entries()) {
        const bitmap = await createImageBitmap(face.crop);
        g.drawImage(bitmap, SHEET_PAD + SHEET_LABEL + i * (SHEET_FACE + SHEET_PAD), y, SHEET_FACE, SHEET_FACE);
        bitmap.close();
      }
    }
    const png = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
    const summary = rows.map(({ person, faces }) => ({ name: person.name, photos: person.photoCount, faces: person.faceCount, shown: faces.length }));
    downloadBlob(new Blob([withTextChunk(png, 'facematch-people', JSON.stringify(summary))], { type: 'image/png' }), CONTACT_SHEET_NAME);
  }, 'export the contact sheet');
}
