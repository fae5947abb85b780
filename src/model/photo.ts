// The one model of the data, shared by both views: photos in a collection, each with its faces. The worker's
// analysis returns it, the Library stores it (src/storage), the UI store holds it. Types only: importing this
// file pulls in no tfjs, no Dexie.
import type { EmbedderId, FaceDetection } from '../ml/types';

/** One face of a photo, in the photo's upright pixels. */
export interface Face {
  box: FaceDetection['box'];
  keypoints: FaceDetection['keypoints'];
  confidence: number;
  /** what the photo's embedder made of the face */
  embedding: Float32Array;
  /** the face as the embedder saw it, encoded (a PNG from Compare's analysis, a JPEG in the Library) */
  crop: Blob;
}

/** A photo with its faces. Compare shows two of them; the Library holds all of them. */
export interface Photo {
  /** unique in its collection: the Library keys a photo by the SHA-256 of its bytes */
  id: string;
  name: string;
  /** the upright size (EXIF orientation applied): the coordinates boxes and keypoints are in; 0 until known */
  width: number;
  height: number;
  /** the model the faces' embeddings came from; null until they are found */
  embedder: EmbedderId | null;
  /** numbered left to right, in the order the views show them */
  faces: Face[];
}
