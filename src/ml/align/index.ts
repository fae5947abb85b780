export * from './transform';
export { warpFaces, pyramidLevel } from './warp';
