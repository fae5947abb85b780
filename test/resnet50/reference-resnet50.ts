// An independent float64 reference of keras_vggface RESNET50 in plain JS: explicit loops, BatchNormalization
// applied unfolded as Keras does, TF 'same' padding computed by hand. It reads weights straight from the fixture
// (not through the loader), so it also checks the loader's mapping.

/** One image, height x width x channels, row-major like NHWC without the batch axis. */
export interface Map3 {
  height: number;
  width: number;
  channels: number;
  data: Float64Array;
}

/** Looks up a Keras weight by layer name and last name part (`kernel`, `gamma`, ...). */
export type WeightLookup = (layer: string, vector: string) => { shape: number[]; data: Float32Array };

const BN_EPSILON = 1e-3;
const MEAN_BGR = [91.4953, 103.8827, 131.0912];

/** preprocess_input(version=2) on 0..255 RGB bytes: reverse the channels, subtract the BGR means. */
export function referencePreprocess(rgb: Uint8Array | Float32Array, height: number, width: number): Map3 {
  const data = new Float64Array(height * width * 3);
  for (let p = 0; p < height * width; p++) {
    for (let c = 0; c < 3; c++) data[p * 3 + c] = rgb[p * 3 + (2 - c)] - MEAN_BGR[c];
  }
  return { height, width, channels: 3, data };
}

function conv(x: Map3, kernelData: Float32Array, kernelShape: number[], stride: number, padding: 'same' | 'valid'): Map3 {
  const [kh, kw, cin, cout] = kernelShape;
  if (cin !== x.channels) throw new Error(`reference: kernel expects ${cin} channels, input has ${x.channels}`);
  let outH: number, outW: number, padTop: number, padLeft: number;
  if (padding === 'same') {
    // TF: output ceil(in / stride), the odd padding pixel goes to the bottom/right
    outH = Math.ceil(x.height / stride);
    outW = Math.ceil(x.width / stride);
    padTop = Math.floor(Math.max((outH - 1) * stride + kh - x.height, 0) / 2);
    padLeft = Math.floor(Math.max((outW - 1) * stride + kw - x.width, 0) / 2);
  } else {
    outH = Math.floor((x.height - kh) / stride) + 1;
    outW = Math.floor((x.width - kw) / stride) + 1;
    padTop = 0;
    padLeft = 0;
  }
  const kernel = Float64Array.from(kernelData);
  const out = new Float64Array(outH * outW * cout);
  const acc = new Float64Array(cout);
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      acc.fill(0);
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * stride - padTop + ky;
        if (iy < 0 || iy >= x.height) continue;
        for (let kx = 0; kx < kw; kx++) {
          const ix = ox * stride - padLeft + kx;
          if (ix < 0 || ix >= x.width) continue;
          const inBase = (iy * x.width + ix) * cin;
          const kBase = (ky * kw + kx) * cin * cout;
          for (let ci = 0; ci < cin; ci++) {
            const v = x.data[inBase + ci];
            if (v === 0) continue;
            const row = kBase + ci * cout;
            for (let co = 0; co < cout; co++) acc[co] += v * kernel[row + co];
          }
        }
      }
      out.set(acc, (oy * outW + ox) * cout);
    }
  }
  return { height: outH, width: outW, channels: cout, data: out };
}

function batchNorm(x: Map3, weight: WeightLookup, layer: string): Map3 {
  const gamma = weight(layer, 'gamma').data;
  const beta = weight(layer, 'beta').data;
  const mean = weight(layer, 'moving_mean').data;
  const variance = weight(layer, 'moving_variance').data;
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) {
    const c = i % x.channels;
    out[i] = ((x.data[i] - mean[c]) / Math.sqrt(variance[c] + BN_EPSILON)) * gamma[c] + beta[c];
  }
  return { ...x, data: out };
}

function relu(x: Map3): Map3 {
  return { ...x, data: x.data.map((v) => (v > 0 ? v : 0)) };
}

function add(a: Map3, b: Map3): Map3 {
  if (a.data.length !== b.data.length) throw new Error('reference: add of different shapes');
  return { ...a, data: a.data.map((v, i) => v + b.data[i]) };
}

function maxPool3x3Stride2Valid(x: Map3): Map3 {
  const outH = Math.floor((x.height - 3) / 2) + 1;
  const outW = Math.floor((x.width - 3) / 2) + 1;
  const out = new Float64Array(outH * outW * x.channels);
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      for (let c = 0; c < x.channels; c++) {
        let best = -Infinity;
        for (let dy = 0; dy < 3; dy++) {
          for (let dx = 0; dx < 3; dx++) best = Math.max(best, x.data[((oy * 2 + dy) * x.width + ox * 2 + dx) * x.channels + c]);
        }
        out[(oy * outW + ox) * x.channels + c] = best;
      }
    }
  }
  return { height: outH, width: outW, channels: x.channels, data: out };
}

/** conv (no bias) + BatchNormalization named `${layer}/bn`. */
function convBn(x: Map3, weight: WeightLookup, layer: string, stride: number, padding: 'same' | 'valid'): Map3 {
  const kernel = weight(layer, 'kernel');
  return batchNorm(conv(x, kernel.data, kernel.shape, stride, padding), weight, `${layer}/bn`);
}

/** The last feature map of the backbone, before any pooling. */
export function referenceFeatureMap(input: Map3, weight: WeightLookup): Map3 {
  let x = relu(convBn(input, weight, 'conv1/7x7_s2', 2, 'same'));
  x = maxPool3x3Stride2Valid(x);
  const blocksPerStage: Record<number, number> = { 2: 3, 3: 4, 4: 6, 5: 3 };
  for (const stage of [2, 3, 4, 5]) {
    for (let block = 1; block <= blocksPerStage[stage]; block++) {
      const name = (part: string) => `conv${stage}_${block}_${part}`;
      const first = block === 1;
      const stride = first && stage > 2 ? 2 : 1;
      let y = relu(convBn(x, weight, name('1x1_reduce'), stride, 'valid'));
      y = relu(convBn(y, weight, name('3x3'), 1, 'same'));
      y = convBn(y, weight, name('1x1_increase'), 1, 'valid');
      const shortcut = first ? convBn(x, weight, name('1x1_proj'), stride, 'valid') : x;
      x = relu(add(y, shortcut));
    }
  }
  return x;
}

/** include_top=False, pooling='avg' at 224: AveragePooling2D(7x7) of the 7x7 map, i.e. the mean per channel. */
export function referenceEmbedding(input: Map3, weight: WeightLookup): Float64Array {
  const map = referenceFeatureMap(input, weight);
  if (map.height !== 7 || map.width !== 7) throw new Error(`reference: expected a 7x7 map, got ${map.height}x${map.width}`);
  const sums = new Float64Array(map.channels);
  for (let i = 0; i < map.data.length; i++) sums[i % map.channels] += map.data[i];
  return sums.map((s) => s / 49);
}
