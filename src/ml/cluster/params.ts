// Clustering parameters per embedder: plain data, no tfjs, so the UI can read them. Thresholds are stored as
// ratios of the embedder's calibrated same-person threshold (chosen by npm run eval:cluster) and turned into
// distances here, so a recalibrated threshold moves them along.
import type { EmbedderInfo, SimilarityMetric } from '../types';
import dlibCluster from '../embedders/dlib-resnet29/cluster.json' with { type: 'json' };
import vggface2Cluster from '../embedders/vggface2-mobilenet/cluster.json' with { type: 'json' };

export type ClusterAlgorithm = 'hac' | 'snn-components' | 'chinese-whispers';

export interface ClusterParams {
  algorithm: ClusterAlgorithm;
  metric: SimilarityMetric;
  /** hac: weight of each group's own spread in the linkage (1: average linkage, 0: centroid linkage) */
  spreadWeight?: number;
  /** hac: a second, centroid-linkage stage joining groups of >= minGroupSize faces whose means are within mergeDistance */
  secondStage?: { mergeDistance: number; minGroupSize: number; maxAverageLinkage?: number };
  /**
   * hac: a third stage: a single face joins a group of >= minGroupSize faces whose linkage to it (spreadWeight 0:
   * its distance to the group's mean) is within mergeDistance (faces average linkage left out), unless the next
   * nearest group is within 1/margin of that (an ambiguous face stays unsorted)
   */
  attach?: { mergeDistance: number; minGroupSize: number; spreadWeight: number; margin?: number };
  /** hac: a fourth stage: a group of 2..maxSmallerSize faces joins one of >= minLargerSize whose mean is within mergeDistance */
  absorb?: { mergeDistance: number; maxSmallerSize: number; minLargerSize: number };
  /**
   * hac: a last stage: a group of up to maxSmallerSize faces joins one of >= minLargerSize (a big person) when the
   * distance between their means is within ratio x the big one's radius (root mean squared distance of its faces
   * to its mean) and within mergeDistance
   */
  envelope?: { ratio: number; mergeDistance: number; maxSmallerSize: number; minLargerSize: number };
  /** two groups join while their linkage (average-linkage distance; for the graph methods the edge distance) is <= this */
  mergeDistance: number;
  /** neighbours looked up per face (the k of the k-NN graph) */
  k: number;
  /** k-NN edges longer than this are never looked at */
  neighbourDistance: number;
  /** "Same person?" suggestions: people whose linkage is <= this */
  suggestDistance: number;
  /** smallest automatic person; smaller groups stay unsorted */
  minPersonSize: number;
  /** snn-components only: shared-neighbour overlap an edge needs (0..1) */
  sharedNeighbours?: number;
}

/** What cluster.json holds: ratios of the embedder's calibrated threshold, and how they were chosen. */
export interface StoredClusterParams {
  algorithm: ClusterAlgorithm;
  mergeRatio: number;
  k: number;
  neighbourRatio: number;
  suggestRatio: number;
  minPersonSize: number;
  sharedNeighbours?: number;
  spreadWeight?: number;
  secondRatio?: number;
  secondMinSize?: number;
  /** stage 2 also needs the pair's average linkage within this ratio (absent: no such check) */
  secondMaxAverageRatio?: number;
  attachRatio?: number;
  attachMinSize?: number;
  attachSpreadWeight?: number;
  attachMargin?: number;
  absorbRatio?: number;
  absorbMaxSize?: number;
  absorbMinSize?: number;
  /** the envelope stage (see ClusterParams.envelope): ratio of the big group's radius, cap as a ratio of the threshold, sizes */
  envelopeRatio?: number;
  envelopeMaxRatio?: number;
  envelopeMaxSize?: number;
  envelopeMinSize?: number;
  source: string;
}

const STORED: Partial<Record<string, StoredClusterParams>> = {
  'dlib-resnet29': dlibCluster as StoredClusterParams,
  'vggface2-mobilenet': vggface2Cluster as StoredClusterParams,
};

/** Used for embedders with no cluster.json (the user's ResNet50): average linkage a little inside the threshold. */
export const FALLBACK_CLUSTER_PARAMS: StoredClusterParams = {
  algorithm: 'hac',
  spreadWeight: 1,
  mergeRatio: 0.9,
  k: 32,
  neighbourRatio: 1.1,
  suggestRatio: 1.15,
  minPersonSize: 2,
  source: 'fallback (not measured for this embedder)',
};

export function paramsFromStored(stored: StoredClusterParams, threshold: number, metric: SimilarityMetric): ClusterParams {
  return {
    algorithm: stored.algorithm,
    metric,
    mergeDistance: stored.mergeRatio * threshold,
    k: stored.k,
    neighbourDistance: stored.neighbourRatio * threshold,
    suggestDistance: stored.suggestRatio * threshold,
    minPersonSize: stored.minPersonSize,
    ...(stored.sharedNeighbours !== undefined ? { sharedNeighbours: stored.sharedNeighbours } : {}),
    ...(stored.spreadWeight !== undefined ? { spreadWeight: stored.spreadWeight } : {}),
    ...(stored.secondRatio !== undefined ? { secondStage: { mergeDistance: stored.secondRatio * threshold, minGroupSize: stored.secondMinSize ?? 2, ...(stored.secondMaxAverageRatio !== undefined ? { maxAverageLinkage: stored.secondMaxAverageRatio * threshold } : {}) } } : {}),
    ...(stored.attachRatio !== undefined ? { attach: { mergeDistance: stored.attachRatio * threshold, minGroupSize: stored.attachMinSize ?? 2, spreadWeight: stored.attachSpreadWeight ?? 0, ...(stored.attachMargin !== undefined ? { margin: stored.attachMargin } : {}) } } : {}),
    ...(stored.envelopeRatio !== undefined ? { envelope: { ratio: stored.envelopeRatio, mergeDistance: (stored.envelopeMaxRatio ?? 0.8) * threshold, maxSmallerSize: stored.envelopeMaxSize ?? 5, minLargerSize: stored.envelopeMinSize ?? 40 } } : {}),
    ...(stored.absorbRatio !== undefined ? { absorb: { mergeDistance: stored.absorbRatio * threshold, maxSmallerSize: stored.absorbMaxSize ?? 5, minLargerSize: stored.absorbMinSize ?? 10 } } : {}),
  };
}

export function clusterParamsFor(info: EmbedderInfo): ClusterParams {
  return paramsFromStored(STORED[info.id] ?? FALLBACK_CLUSTER_PARAMS, info.defaultThreshold, info.metric);
}
