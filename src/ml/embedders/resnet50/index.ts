// The user-supplied keras_vggface VGGFace2 ResNet50: .h5 reader, storable weights, tfjs network.
export {
  RESNET50_INFO,
  RESNET50_PARAMETER_COUNT,
  RESNET50_WEIGHT_SHAPES,
  VGGFACE2_RESNET50_BGR_MEAN,
} from './architecture';
export { readVggface2Resnet50H5 } from './read-h5';
export {
  Resnet50WeightsError,
  deserializeResnet50Weights,
  serializeResnet50Weights,
  validateResnet50Weights,
  type Resnet50Weights,
  type WeightArray,
} from './weights';
export {
  Vggface2Resnet50,
  createVggface2Resnet50,
  preprocessVggface2Resnet50,
  type Vggface2Resnet50Options,
} from './model';
