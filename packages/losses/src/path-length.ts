import * as tf from '@tensorflow/tfjs-core';
import { GanKitError, type Rng } from '@gankit/core';
import { assertNumberIn } from './validate';

/** A synthesis network as a function: styles (w [B, wDim] or per-layer ws [B, numWs, wDim]) → images [B, H, W, C]. */
export type Synthesis = (ws: tf.Tensor) => tf.Tensor;

/** Options of `PathLengthRegularizer`. */
export interface PathLengthOptions {
  /** Weight of the penalty (default 2, the paper's). Lazy use every k-th G step multiplies it by k (the caller's job). */
  weight?: number;
  /** Decay of the running mean a: a ← a + decay·(E[‖J_wᵀy‖] − a) (default 0.01). */
  decay?: number;
}

/** Saved state of a `PathLengthRegularizer`: the running mean a of the path lengths. */
export interface PathLengthState {
  mean: number;
}

/**
 * Path-length regularisation (Karras et al. 2020, "Analyzing and Improving the Image Quality of StyleGAN", eq. 4):
 * `weight · E_{w,y}[(‖J_wᵀ y‖₂ − a)²]` with y ~ N(0, I)/√(H·W) an image-shaped random direction, J_w the Jacobian of
 * the synthesis network at w, and a the running mean of ‖J_wᵀ y‖ (decay 0.01), kept in this object and saved with
 * `getState`. As in the authors' code, for per-layer styles [B, numWs, wDim] the length is
 * √(mean over the style vectors of ‖∂(g·y)/∂w_i‖²), and the penalty is taken against the mean after this batch's
 * update. Computed with a gradient of a gradient: call it inside the G step's `tf.variableGrads`.
 */
export class PathLengthRegularizer {
  readonly weight: number;
  readonly decay: number;
  private readonly meanVariable: tf.Variable;

  constructor(options: PathLengthOptions = {}) {
    this.weight = options.weight ?? 2;
    this.decay = options.decay ?? 0.01;
    assertNumberIn(this.weight, 0, Number.MAX_VALUE, 'path-length weight');
    assertNumberIn(this.decay, 0, 1, 'path-length decay');
    this.meanVariable = tf.tidy(() => tf.variable(tf.scalar(0), false));
  }

  /** The running mean a of the path lengths. */
  get mean(): number {
    return this.meanVariable.dataSync()[0]!;
  }

  /** The penalty with a given direction `noise` (the images' shape; already divided by √(H·W)); advances the running mean. */
  penaltyAt(synthesis: Synthesis, ws: tf.Tensor, noise: tf.Tensor): tf.Scalar {
    if (!(ws instanceof tf.Tensor) || ws.rank < 2) throw new GanKitError('INVALID_ARGUMENT', `path-length styles must be a tensor [B, wDim] or [B, numWs, wDim], got ${ws instanceof tf.Tensor ? `[${ws.shape.join(', ')}]` : typeof ws}`);
    return tf.tidy(() => {
      const grads = tf.grad((w: tf.Tensor) => {
        const images = synthesis(w);
        if (images.shape.join(',') !== noise.shape.join(',')) {
          throw new GanKitError('SHAPE_MISMATCH', `path-length noise has shape [${noise.shape.join(', ')}], the synthesis network makes [${images.shape.join(', ')}]`);
        }
        return tf.sum(tf.mul(images, noise));
      })(ws);
      const squares = tf.sum(tf.square(grads), -1);
      const middle = Array.from({ length: squares.rank - 1 }, (_, i) => i + 1);
      const lengths = tf.sqrt(middle.length > 0 ? tf.mean(squares, middle) : squares);
      const mean = tf.add(this.meanVariable, tf.mul(this.decay, tf.sub(tf.mean(lengths), this.meanVariable)));
      this.meanVariable.assign(mean);
      return tf.mul<tf.Scalar>(this.weight, tf.mean(tf.square(tf.sub(lengths, mean))));
    });
  }

  /** The penalty with y drawn from `rng`: N(0, I)/√(H·W) of the images' shape (one `normalArray` call). */
  penalty(synthesis: Synthesis, ws: tf.Tensor, imageShape: readonly number[], rng: Rng): tf.Scalar {
    const [batch, height, width, channels] = imageShape;
    if (imageShape.length !== 4 || [batch, height, width, channels].some((d) => !Number.isInteger(d) || (d ?? 0) < 1)) {
      throw new GanKitError('INVALID_ARGUMENT', `path-length imageShape must be [B, H, W, C], got [${imageShape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const noise = tf.tensor4d(rng.normalArray(batch! * height! * width! * channels!, 0, 1 / Math.sqrt(height! * width!)), [batch!, height!, width!, channels!]);
      return this.penaltyAt(synthesis, ws, noise);
    });
  }

  /** The running mean, for checkpoints. */
  getState(): PathLengthState {
    return { mean: this.mean };
  }

  /** Restores the running mean. */
  setState(state: PathLengthState): void {
    if (!Number.isFinite(state.mean)) throw new GanKitError('INVALID_ARGUMENT', `path-length state mean must be a finite number, got ${state.mean}`);
    tf.tidy(() => this.meanVariable.assign(tf.scalar(state.mean)));
  }

  dispose(): void {
    this.meanVariable.dispose();
  }
}
