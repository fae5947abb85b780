// Types for tflite.mjs (used by the TypeScript tests).
export interface TfliteTensor {
  name: string;
  shape: number[];
  type: number;
  data?: Float32Array | Int32Array;
}
export interface TfliteOperator {
  opcode: number;
  inputs: number[];
  outputs: number[];
}
export interface TfliteModel {
  tensors: TfliteTensor[];
  operators: TfliteOperator[];
  inputs: number[];
  outputs: number[];
}
export function readTflite(bytes: Uint8Array | ArrayBuffer): TfliteModel;
