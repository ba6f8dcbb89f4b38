import { GanKitError } from '@gankit/core';
import * as tf from '@tensorflow/tfjs-core';
import type { ExtractedFeatures, FeatureExtractor } from '../extractor';
import { tensorToFloat32, type TorchTensor } from '../torch/tensor';
import { checkImageBatch, toRgbFloat } from './images';
import { cleanResize } from './resize-pil';

/** Where pytorch-fid downloads the FID Inception weights from (ported from TF's inception-2015-12-05). */
export const FID_INCEPTION_WEIGHTS_URL = 'https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth';

/** Options for `inceptionV3`. */
export interface InceptionV3Options {
  /** Path to `pt_inception-2015-12-05-6726825d.pth` (default: the `GANKIT_INCEPTION_WEIGHTS` environment variable). */
  weightsPath?: string;
  /**
   * How images reach 299×299: `legacy` (default) = pytorch-fid's `F.interpolate(bilinear, align_corners=False)`;
   * `clean` = clean-fid's resize (PIL bicubic with antialiasing, per channel on float32, clipped to [0, 255]).
   */
  resize?: 'legacy' | 'clean';
  /** Images run through the network at once (memory bound; default 16). */
  maxBatch?: number;
  /**
   * Feature size, i.e. which of pytorch-fid's output blocks (`--dims`): 64 = block 0 (after the first max pool),
   * 192 = block 1 (after the second max pool), 768 = block 2 (after Mixed_6e), 2048 = block 3 (pool3, default);
   * each spatially averaged, as pytorch-fid's `adaptive_avg_pool2d`. Logits (for IS) exist only with 2048.
   */
  dims?: InceptionDims;
}

/** pytorch-fid's feature sizes and the block each comes from (`InceptionV3.BLOCK_INDEX_BY_DIM`). */
export const INCEPTION_BLOCK_INDEX_BY_DIM = { 64: 0, 192: 1, 768: 2, 2048: 3 } as const;

/** A feature size pytorch-fid offers. */
export type InceptionDims = keyof typeof INCEPTION_BLOCK_INDEX_BY_DIM;

/** Inception input side. */
const SIZE = 299;
/** pytorch-fid's BasicConv2d batch-norm epsilon. */
const BN_EPS = 0.001;

type Padding = [number, number];
interface ConvSpec {
  stride: number;
  pad: Padding;
}

/** A BasicConv2d (conv without bias + BN + ReLU) with the BN folded into the filter and a bias. */
interface FoldedConv {
  filter: tf.Tensor4D;
  bias: tf.Tensor1D;
  strides: [number, number];
  pad: [[number, number], [number, number], [number, number], [number, number]];
}

/** Every BasicConv2d of the FID Inception (torchvision names), with PyTorch stride and symmetric padding. */
function convSpecs(): Map<string, ConvSpec> {
  const specs = new Map<string, ConvSpec>();
  const add = (name: string, pad: Padding = [0, 0], stride = 1): void => void specs.set(name, { stride, pad });
  add('Conv2d_1a_3x3', [0, 0], 2);
  add('Conv2d_2a_3x3');
  add('Conv2d_2b_3x3', [1, 1]);
  add('Conv2d_3b_1x1');
  add('Conv2d_4a_3x3');
  for (const block of ['Mixed_5b', 'Mixed_5c', 'Mixed_5d']) {
    add(`${block}.branch1x1`);
    add(`${block}.branch5x5_1`);
    add(`${block}.branch5x5_2`, [2, 2]);
    add(`${block}.branch3x3dbl_1`);
    add(`${block}.branch3x3dbl_2`, [1, 1]);
    add(`${block}.branch3x3dbl_3`, [1, 1]);
    add(`${block}.branch_pool`);
  }
  add('Mixed_6a.branch3x3', [0, 0], 2);
  add('Mixed_6a.branch3x3dbl_1');
  add('Mixed_6a.branch3x3dbl_2', [1, 1]);
  add('Mixed_6a.branch3x3dbl_3', [0, 0], 2);
  for (const block of ['Mixed_6b', 'Mixed_6c', 'Mixed_6d', 'Mixed_6e']) {
    add(`${block}.branch1x1`);
    add(`${block}.branch7x7_1`);
    add(`${block}.branch7x7_2`, [0, 3]);
    add(`${block}.branch7x7_3`, [3, 0]);
    add(`${block}.branch7x7dbl_1`);
    add(`${block}.branch7x7dbl_2`, [3, 0]);
    add(`${block}.branch7x7dbl_3`, [0, 3]);
    add(`${block}.branch7x7dbl_4`, [3, 0]);
    add(`${block}.branch7x7dbl_5`, [0, 3]);
    add(`${block}.branch_pool`);
  }
  add('Mixed_7a.branch3x3_1');
  add('Mixed_7a.branch3x3_2', [0, 0], 2);
  add('Mixed_7a.branch7x7x3_1');
  add('Mixed_7a.branch7x7x3_2', [0, 3]);
  add('Mixed_7a.branch7x7x3_3', [3, 0]);
  add('Mixed_7a.branch7x7x3_4', [0, 0], 2);
  for (const block of ['Mixed_7b', 'Mixed_7c']) {
    add(`${block}.branch1x1`);
    add(`${block}.branch3x3_1`);
    add(`${block}.branch3x3_2a`, [0, 1]);
    add(`${block}.branch3x3_2b`, [1, 0]);
    add(`${block}.branch3x3dbl_1`);
    add(`${block}.branch3x3dbl_2`, [1, 1]);
    add(`${block}.branch3x3dbl_3a`, [0, 1]);
    add(`${block}.branch3x3dbl_3b`, [1, 0]);
    add(`${block}.branch_pool`);
  }
  return specs;
}

/** The weights pytorch-fid's network needs, as TF.js tensors (BN folded into each conv). */
interface InceptionWeights {
  convs: Map<string, FoldedConv>;
  /** fc.weight, [1008, 2048]. */
  fc: tf.Tensor2D;
}

function requireTensor(state: Map<string, TorchTensor>, key: string, shape: number[] | undefined, source: string): TorchTensor {
  const tensor = state.get(key);
  if (!tensor) {
    throw new GanKitError('FILE_MISMATCH', `${source} has no "${key}": it is not the FID Inception checkpoint (${FID_INCEPTION_WEIGHTS_URL})`, { path: source });
  }
  if (shape && (tensor.shape.length !== shape.length || tensor.shape.some((n, i) => n !== shape[i]))) {
    throw new GanKitError('FILE_MISMATCH', `${source}: "${key}" has shape [${tensor.shape.join(', ')}], expected [${shape.join(', ')}]`, { path: source });
  }
  return tensor;
}

/** Folds BN into the conv: w' = w·γ/√(σ²+ε) laid out [kh, kw, in, out], b' = β − μ·γ/√(σ²+ε). */
function foldConv(state: Map<string, TorchTensor>, name: string, spec: ConvSpec, source: string): FoldedConv {
  const weight = requireTensor(state, `${name}.conv.weight`, undefined, source);
  if (weight.shape.length !== 4) throw new GanKitError('FILE_MISMATCH', `${source}: "${name}.conv.weight" is not a 4-D conv weight`, { path: source });
  const [out = 0, inC = 0, kh = 0, kw = 0] = weight.shape;
  const gamma = tensorToFloat32(requireTensor(state, `${name}.bn.weight`, [out], source));
  const beta = tensorToFloat32(requireTensor(state, `${name}.bn.bias`, [out], source));
  const mean = tensorToFloat32(requireTensor(state, `${name}.bn.running_mean`, [out], source));
  const variance = tensorToFloat32(requireTensor(state, `${name}.bn.running_var`, [out], source));
  const w = tensorToFloat32(weight);
  const scale = new Float64Array(out);
  const bias = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    scale[o] = (gamma[o] ?? 0) / Math.sqrt((variance[o] ?? 0) + BN_EPS);
    bias[o] = (beta[o] ?? 0) - (mean[o] ?? 0) * (scale[o] ?? 0);
  }
  const filter = new Float32Array(w.length);
  for (let o = 0; o < out; o++) {
    for (let i = 0; i < inC; i++) {
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++) {
          filter[((y * kw + x) * inC + i) * out + o] = (w[((o * inC + i) * kh + y) * kw + x] ?? 0) * (scale[o] ?? 0);
        }
      }
    }
  }
  const [ph, pw] = spec.pad;
  return {
    filter: tf.tensor4d(filter, [kh, kw, inC, out]),
    bias: tf.tensor1d(bias),
    strides: [spec.stride, spec.stride],
    pad: [
      [0, 0],
      [ph, ph],
      [pw, pw],
      [0, 0],
    ],
  };
}

function inceptionWeights(state: Map<string, TorchTensor>, source: string): InceptionWeights {
  const convs = new Map<string, FoldedConv>();
  try {
    for (const [name, spec] of convSpecs()) convs.set(name, foldConv(state, name, spec, source));
    const fcWeight = requireTensor(state, 'fc.weight', [1008, 2048], source);
    return { convs, fc: tf.tensor2d(tensorToFloat32(fcWeight), [1008, 2048]) };
  } catch (error) {
    for (const conv of convs.values()) tf.dispose([conv.filter, conv.bias]);
    throw error;
  }
}

/** The FID Inception-v3 forward pass on [B, 299, 299, 3] inputs in [-1, 1] → pool3 [B, 2048]. */
class FidInceptionNet {
  constructor(private readonly weights: InceptionWeights) {}

  pool3(x: tf.Tensor4D): tf.Tensor2D {
    return this.features(x, 3);
  }

  /** The spatial mean of pytorch-fid's output block `block` (0–3). */
  features(x: tf.Tensor4D, block: number): tf.Tensor2D {
    let h = this.conv('Conv2d_1a_3x3', x);
    h = this.conv('Conv2d_2a_3x3', h);
    h = this.conv('Conv2d_2b_3x3', h);
    h = tf.maxPool(h, 3, 2, 'valid');
    if (block === 0) return tf.mean(h, [1, 2]);
    h = this.conv('Conv2d_3b_1x1', h);
    h = this.conv('Conv2d_4a_3x3', h);
    h = tf.maxPool(h, 3, 2, 'valid');
    if (block === 1) return tf.mean(h, [1, 2]);
    for (const block of ['Mixed_5b', 'Mixed_5c', 'Mixed_5d']) h = this.blockA(block, h);
    h = this.blockB(h);
    for (const block of ['Mixed_6b', 'Mixed_6c', 'Mixed_6d', 'Mixed_6e']) h = this.blockC(block, h);
    if (block === 2) return tf.mean(h, [1, 2]);
    h = this.blockD(h);
    h = this.blockE('Mixed_7b', h, 'avg');
    h = this.blockE('Mixed_7c', h, 'max');
    return tf.mean(h, [1, 2]);
  }

  logits(pool3: tf.Tensor2D): tf.Tensor2D {
    return tf.matMul(pool3, this.weights.fc, false, true);
  }

  dispose(): void {
    for (const conv of this.weights.convs.values()) tf.dispose([conv.filter, conv.bias]);
    this.weights.fc.dispose();
  }

  private conv(name: string, x: tf.Tensor4D): tf.Tensor4D {
    const c = this.weights.convs.get(name);
    if (!c) throw new GanKitError('INVALID_ARGUMENT', `internal: no conv ${name}`);
    return tf.fused.conv2d({ x, filter: c.filter, strides: c.strides, pad: c.pad, bias: c.bias, activation: 'relu' });
  }

  private chain(x: tf.Tensor4D, names: string[]): tf.Tensor4D {
    return names.reduce((h, name) => this.conv(name, h), x);
  }

  /** 3×3 stride-1 average pool with padding 1 that excludes the padding from the count (TF "SAME"). */
  private avgPoolExcludingPadding(x: tf.Tensor4D): tf.Tensor4D {
    return tf.avgPool(x, 3, 1, 'same');
  }

  private blockA(p: string, x: tf.Tensor4D): tf.Tensor4D {
    return tf.concat(
      [
        this.conv(`${p}.branch1x1`, x),
        this.chain(x, [`${p}.branch5x5_1`, `${p}.branch5x5_2`]),
        this.chain(x, [`${p}.branch3x3dbl_1`, `${p}.branch3x3dbl_2`, `${p}.branch3x3dbl_3`]),
        this.conv(`${p}.branch_pool`, this.avgPoolExcludingPadding(x)),
      ],
      3,
    );
  }

  private blockB(x: tf.Tensor4D): tf.Tensor4D {
    const p = 'Mixed_6a';
    return tf.concat(
      [this.conv(`${p}.branch3x3`, x), this.chain(x, [`${p}.branch3x3dbl_1`, `${p}.branch3x3dbl_2`, `${p}.branch3x3dbl_3`]), tf.maxPool(x, 3, 2, 'valid')],
      3,
    );
  }

  private blockC(p: string, x: tf.Tensor4D): tf.Tensor4D {
    return tf.concat(
      [
        this.conv(`${p}.branch1x1`, x),
        this.chain(x, [`${p}.branch7x7_1`, `${p}.branch7x7_2`, `${p}.branch7x7_3`]),
        this.chain(x, [1, 2, 3, 4, 5].map((i) => `${p}.branch7x7dbl_${i}`)),
        this.conv(`${p}.branch_pool`, this.avgPoolExcludingPadding(x)),
      ],
      3,
    );
  }

  private blockD(x: tf.Tensor4D): tf.Tensor4D {
    const p = 'Mixed_7a';
    return tf.concat(
      [
        this.chain(x, [`${p}.branch3x3_1`, `${p}.branch3x3_2`]),
        this.chain(x, [1, 2, 3, 4].map((i) => `${p}.branch7x7x3_${i}`)),
        tf.maxPool(x, 3, 2, 'valid'),
      ],
      3,
    );
  }

  /** InceptionE; the FID network's last block (Mixed_7c) max-pools its pool branch instead of averaging. */
  private blockE(p: string, x: tf.Tensor4D, pool: 'avg' | 'max'): tf.Tensor4D {
    const mid = this.conv(`${p}.branch3x3_1`, x);
    const dbl = this.chain(x, [`${p}.branch3x3dbl_1`, `${p}.branch3x3dbl_2`]);
    const pooled = pool === 'avg' ? this.avgPoolExcludingPadding(x) : tf.maxPool(x, 3, 1, 'same');
    return tf.concat(
      [
        this.conv(`${p}.branch1x1`, x),
        this.conv(`${p}.branch3x3_2a`, mid),
        this.conv(`${p}.branch3x3_2b`, mid),
        this.conv(`${p}.branch3x3dbl_3a`, dbl),
        this.conv(`${p}.branch3x3dbl_3b`, dbl),
        this.conv(`${p}.branch_pool`, pooled),
      ],
      3,
    );
  }
}

/**
 * pytorch-fid's FID Inception-v3 (`fid_inception_v3`) on TF.js: uint8 images → [0, 1] → resize to 299×299
 * (bilinear, align_corners=False, or clean-fid's PIL bicubic) → 2x − 1 → pool3 (2048-d) and the 1008 logits
 * torch-fidelity uses for IS (pool3 · Wᵀ, no bias). `state` is pytorch-fid's `.pth` state dict (`@gankit/metrics/node`'s `inceptionV3` reads the file).
 * Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium".
 */
export function inceptionV3FromStateDict(state: Map<string, TorchTensor>, options: Omit<InceptionV3Options, 'weightsPath'> = {}, source = 'the FID Inception weights'): FeatureExtractor {
  const resize = options.resize ?? 'legacy';
  if (resize !== 'legacy' && resize !== 'clean') throw new GanKitError('INVALID_ARGUMENT', `resize must be "legacy" or "clean"; got "${String(resize)}"`);
  const maxBatch = options.maxBatch ?? 16;
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new GanKitError('INVALID_ARGUMENT', `maxBatch must be a positive integer; got ${maxBatch}`);
  const dims = options.dims ?? 2048;
  const block = INCEPTION_BLOCK_INDEX_BY_DIM[dims];
  if (block === undefined) throw new GanKitError('INVALID_ARGUMENT', `inceptionV3: dims must be one of 64, 192, 768, 2048 (pytorch-fid's blocks); got ${String(dims)}`);
  const hasLogits = dims === 2048;
  const numClasses = hasLogits ? 1008 : 0;
  const net = new FidInceptionNet(inceptionWeights(state, source));
  let disposed = false;

  const prepare = async (images: tf.Tensor4D): Promise<tf.Tensor4D> => {
    if (resize === 'clean') {
      const resized = await cleanResize(images, SIZE, SIZE);
      const scaled = tf.tidy(() => tf.sub<tf.Tensor4D>(tf.mul<tf.Tensor4D>(resized, 2 / 255), 1));
      resized.dispose();
      return scaled;
    }
    return tf.tidy(() => {
      const unit = tf.div<tf.Tensor4D>(toRgbFloat(images), 255);
      const sized = unit.shape[1] === SIZE && unit.shape[2] === SIZE ? unit : tf.image.resizeBilinear(unit, [SIZE, SIZE], false, true);
      return tf.sub<tf.Tensor4D>(tf.mul<tf.Tensor4D>(sized, 2), 1);
    });
  };

  return {
    name: `${resize === 'clean' ? 'inception-v3-fid-clean' : 'inception-v3-fid'}${dims === 2048 ? '' : `-${dims}`}`,
    featureDim: dims,
    numClasses,
    inputSize: `any HxW (uint8, 1 or 3 channels), resized to ${SIZE}x${SIZE} (${resize === 'clean' ? 'PIL bicubic, clean-fid' : 'bilinear, pytorch-fid'})`,
    async extract(images: tf.Tensor4D): Promise<ExtractedFeatures> {
      if (disposed) throw new GanKitError('INVALID_ARGUMENT', 'this inceptionV3 extractor was disposed');
      const [batch] = checkImageBatch(images, 'inceptionV3().extract');
      const features = new Float32Array(batch * dims);
      const logits = new Float32Array(batch * numClasses);
      for (let start = 0; start < batch; start += maxBatch) {
        const size = Math.min(maxBatch, batch - start);
        const chunk = tf.slice(images, [start, 0, 0, 0], [size, -1, -1, -1]);
        const input = await prepare(chunk);
        chunk.dispose();
        const [pool, logit] = tf.tidy(() => {
          const p = net.features(input, block);
          return hasLogits ? [p, net.logits(p)] : [p];
        });
        input.dispose();
        features.set(await pool.data(), start * dims);
        if (logit) logits.set(await logit.data(), start * numClasses);
        tf.dispose(logit ? [pool, logit] : [pool]);
      }
      return { features, logits };
    },
    dispose(): void {
      if (!disposed) net.dispose();
      disposed = true;
    },
  };
}
