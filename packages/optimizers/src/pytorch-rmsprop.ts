import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensor } from '@gankit/core';
import { forEachGradient, slotAt, slotsFrom, type SlotVariable } from './pytorch-adam';

/** Hyperparameters of `PyTorchRMSPropOptimizer`. */
export interface PyTorchRMSPropConfig {
  learningRate: number;
  /** Smoothing constant α of the squared-gradient average (PyTorch default 0.99; TF.js calls it `decay`, default 0.9). */
  alpha: number;
  epsilon: number;
  momentum: number;
  centered: boolean;
  weightDecay: number;
}

/**
 * RMSprop exactly as `torch.optim.RMSprop` 1.13 computes it (Hinton's lecture 6e): s ← α·s + (1−α)·g·g;
 * avg = √(s − ḡ²·[centered]) + ε (ε *outside* the root; TF.js puts it inside: √(s + ε));
 * p ← p − lr·g/avg, or with momentum b ← μ·b + g/avg, p ← p − lr·b. Registered for serialization.
 */
export class PyTorchRMSPropOptimizer extends tf.Optimizer {
  /** Name under which the class is registered with `tf.serialization`. */
  static readonly className = 'GanKitPyTorchRMSProp';
  learningRate: number;
  readonly alpha: number;
  readonly epsilon: number;
  readonly momentum: number;
  readonly centered: boolean;
  readonly weightDecay: number;
  private squareAverages: SlotVariable[] = [];
  private momentumBuffers: SlotVariable[] = [];
  private gradientAverages: SlotVariable[] = [];

  constructor(config: PyTorchRMSPropConfig) {
    super();
    this.learningRate = config.learningRate;
    this.alpha = config.alpha;
    this.epsilon = config.epsilon;
    this.momentum = config.momentum;
    this.centered = config.centered;
    this.weightDecay = config.weightDecay;
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    forEachGradient(variableGradients, (variable, rawGradient, i) => {
      const square = slotAt(this.squareAverages, i, variable, 'square_avg');
      const buffer = this.momentum > 0 ? slotAt(this.momentumBuffers, i, variable, 'momentum_buffer') : undefined;
      const gradAvg = this.centered ? slotAt(this.gradientAverages, i, variable, 'grad_avg') : undefined;
      tf.tidy(() => {
        const gradient = this.weightDecay === 0 ? rawGradient : tf.add(rawGradient, tf.mul(variable, this.weightDecay));
        const newSquare = tf.add(tf.mul(square, this.alpha), tf.mul(tf.mul(gradient, 1 - this.alpha), gradient));
        square.assign(newSquare);
        let variance: tf.Tensor = newSquare;
        if (gradAvg !== undefined) {
          const newGradAvg = tf.add(tf.mul(gradAvg, this.alpha), tf.mul(gradient, 1 - this.alpha));
          gradAvg.assign(newGradAvg);
          variance = tf.sub(newSquare, tf.mul(newGradAvg, newGradAvg));
        }
        const average = tf.add(tf.sqrt(variance), this.epsilon);
        if (buffer !== undefined) {
          const newBuffer = tf.add(tf.mul(buffer, this.momentum), tf.div(gradient, average));
          buffer.assign(newBuffer);
          variable.assign(tf.add(variable, tf.mul(newBuffer, -this.learningRate)));
        } else {
          variable.assign(tf.add(variable, tf.div(tf.mul(gradient, -this.learningRate), average)));
        }
      });
    });
    this.incrementIterations();
  }

  override dispose(): void {
    tf.dispose([...this.squareAverages, ...this.momentumBuffers, ...this.gradientAverages].map((s) => s.variable));
    this.squareAverages = [];
    this.momentumBuffers = [];
    this.gradientAverages = [];
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const slots = [...this.squareAverages, ...this.momentumBuffers, ...this.gradientAverages];
    return [await this.saveIterations(), ...slots.map((s) => ({ name: s.originalName, tensor: s.variable }))];
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const slots = await this.extractIterations(weightValues);
    const groups = 1 + (this.momentum > 0 ? 1 : 0) + (this.centered ? 1 : 0);
    const count = slots.length / groups;
    this.dispose();
    this.squareAverages = slotsFrom(slots.slice(0, count));
    let offset = count;
    if (this.momentum > 0) {
      this.momentumBuffers = slotsFrom(slots.slice(offset, offset + count));
      offset += count;
    }
    if (this.centered) this.gradientAverages = slotsFrom(slots.slice(offset, offset + count));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, alpha: this.alpha, epsilon: this.epsilon, momentum: this.momentum, centered: this.centered, weightDecay: this.weightDecay };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls(config);
  }
}

tf.serialization.registerClass(PyTorchRMSPropOptimizer);
