import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { GanKitError } from '@gankit/core';
import { lastDim, onlyShape, onlyTensor, type LayerArgs } from './common';

/** Options of `SelfAttention`. */
export interface SelfAttentionArgs extends LayerArgs {
  /** Channel reduction of the query and key projections (default 8, as SAGAN: C/8). */
  reduction?: number;
  /** Seed of the Glorot-uniform projection initializers. */
  seed?: number;
}

/**
 * Self-attention (Zhang et al. 2019, SAGAN) over an NHWC feature map: query f = xW_f (C/8), key g = xW_g (C/8),
 * value h = xW_h (C), β = softmax(f gᵀ) over the N = H·W positions, o = β h, output γ·o + x with γ initialised to 0
 * (the 1×1 convolutions of the paper, written as matrix products). Weights: 2(C·C/8 + C/8) + C² + C + 1.
 */
export class SelfAttention extends tfl.layers.Layer {
  /** @nocollapse */
  static className = 'SelfAttention';
  readonly reduction: number;
  private readonly seed: number | undefined;
  private params: Record<'wq' | 'bq' | 'wk' | 'bk' | 'wv' | 'bv' | 'gamma', tfl.LayerVariable> | null = null;

  constructor(args: SelfAttentionArgs = {}) {
    super(args);
    this.reduction = args.reduction ?? 8;
    this.seed = args.seed;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = onlyShape(inputShape, 'SelfAttention');
    if (shape.length !== 4) throw new GanKitError('INVALID_ARGUMENT', `SelfAttention takes NHWC inputs, got shape [${shape.join(', ')}]`);
    const channels = lastDim(shape, 'SelfAttention');
    const inner = Math.floor(channels / this.reduction);
    if (inner < 1) throw new GanKitError('INVALID_ARGUMENT', `SelfAttention: ${channels} channels is fewer than the reduction ${this.reduction}`);
    const glorot = (offset: number) => tfl.initializers.glorotUniform({ seed: this.seed === undefined ? undefined : this.seed + offset });
    const zeros = tfl.initializers.zeros();
    this.params = {
      wq: this.addWeight('query_kernel', [channels, inner], 'float32', glorot(0)),
      bq: this.addWeight('query_bias', [inner], 'float32', zeros),
      wk: this.addWeight('key_kernel', [channels, inner], 'float32', glorot(1)),
      bk: this.addWeight('key_bias', [inner], 'float32', zeros),
      wv: this.addWeight('value_kernel', [channels, channels], 'float32', glorot(2)),
      bv: this.addWeight('value_bias', [channels], 'float32', zeros),
      gamma: this.addWeight('gamma', [1], 'float32', zeros),
    };
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = onlyTensor(inputs, 'SelfAttention') as tf.Tensor4D;
      const [batch, height, width, channels] = x.shape;
      const p = this.params!;
      const flat = tf.reshape<tf.Rank.R2>(x, [batch * height * width, channels]);
      const project = (w: tfl.LayerVariable, b: tfl.LayerVariable): tf.Tensor3D =>
        tf.add<tf.Tensor3D>(tf.reshape<tf.Rank.R3>(tf.matMul(flat, w.read()), [batch, height * width, -1]), b.read());
      const query = project(p.wq, p.bq);
      const key = project(p.wk, p.bk);
      const value = project(p.wv, p.bv);
      const attention = tf.softmax(tf.matMul(query, key, false, true));
      const out = tf.reshape(tf.matMul(attention, value), [batch, height, width, channels]);
      return tf.add(tf.mul(p.gamma.read(), out), x);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), reduction: this.reduction, seed: this.seed ?? null };
  }

  /** @nocollapse */
  static override fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    return new cls({ ...config, seed: typeof config.seed === 'number' ? config.seed : undefined });
  }
}
