// Faces -> people: see docs/clustering.md for how the algorithm and its parameters were chosen.
// FaceIndex searches with a matmul on the process's tfjs backend (WASM in Node; the worker's backend in the app).
export { FaceIndex, type FaceVector, type Neighbour } from './face-index';
export { clusterParamsFor, paramsFromStored, FALLBACK_CLUSTER_PARAMS, type ClusterParams, type ClusterAlgorithm, type StoredClusterParams } from './params';
export { groupNewFaces, regroupAll, suggestMerges, knnGraph, stagesOf, NO_EDITS, type PeopleEdits, type Grouping } from './people';
export { averageLinkage, twoStageLinkage, stagedLinkage, type LinkageStage, chineseWhispers, sharedNeighbourComponents, type NeighbourGraph } from './algorithms';
