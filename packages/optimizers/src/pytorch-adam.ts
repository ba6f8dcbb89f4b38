import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensor } from '@gankit/core';

/** One optimizer slot: a non-trainable variable named after the weight it belongs to. */
export interface SlotVariable {
  originalName: string;
  variable: tf.Variable;
}

/** Iterates (variable, gradient, index) over TF.js's two gradient container shapes, skipping missing gradients. */
export function forEachGradient(
  variableGradients: tf.NamedTensorMap | NamedTensor[],
  visit: (variable: tf.Variable, gradient: tf.Tensor, index: number, name: string) => void,
): void {
  const entries = Array.isArray(variableGradients)
    ? variableGradients.map(({ name, tensor }) => [name, tensor] as const)
    : Object.entries(variableGradients);
  entries.forEach(([name, gradient], index) => {
    const variable = tf.engine().registeredVariables[name];
    if (variable === undefined || gradient == null) return;
    visit(variable, gradient, index, name);
  });
}

/** Returns the slot at `index`, creating a zero-filled non-trainable variable shaped like `like` if needed. */
export function slotAt(slots: SlotVariable[], index: number, like: tf.Variable, suffix: string): tf.Variable {
  let slot = slots[index];
  if (slot === undefined) {
    slot = { originalName: `${like.name}/${suffix}`, variable: tf.tidy(() => tf.variable(tf.zerosLike(like), false)) };
    slots[index] = slot;
  }
  return slot.variable;
}

/** Turns saved tensors back into slot variables (the tensors may be disposed afterwards). */
export function slotsFrom(weights: NamedTensor[]): SlotVariable[] {
  return weights.map(({ name, tensor }) => ({ originalName: name, variable: tf.variable(tensor, false) }));
}

/** Hyperparameters of `PyTorchAdamOptimizer`. */
export interface PyTorchAdamConfig {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** L2 penalty added to the gradient (PyTorch `weight_decay`, not AdamW). */
  weightDecay: number;
}

/**
 * Adam exactly as `torch.optim.Adam` 1.13 computes it (Kingma & Ba 2015, Algorithm 1, PyTorch's arrangement):
 * m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g·g; p ← p − (lr/(1−β1ᵗ))·m / (√v/√(1−β2ᵗ) + ε),
 * with the bias corrections computed in float64 from the step count t (TF.js's Adam keeps β^t in a float32
 * variable that it multiplies by β each step, and differs in default ε). Registered for serialization.
 */
export class PyTorchAdamOptimizer extends tf.Optimizer {
  /** Name under which the class is registered with `tf.serialization`. */
  static readonly className = 'GanKitPyTorchAdam';
  learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  private firstMoments: SlotVariable[] = [];
  private secondMoments: SlotVariable[] = [];

  constructor(config: PyTorchAdamConfig) {
    super();
    this.learningRate = config.learningRate;
    this.beta1 = config.beta1;
    this.beta2 = config.beta2;
    this.epsilon = config.epsilon;
    this.weightDecay = config.weightDecay;
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const step = this.iterations + 1;
    const stepSize = this.learningRate / (1 - this.beta1 ** step);
    const biasCorrection2Sqrt = Math.sqrt(1 - this.beta2 ** step);
    forEachGradient(variableGradients, (variable, rawGradient, i) => {
      const m = slotAt(this.firstMoments, i, variable, 'm');
      const v = slotAt(this.secondMoments, i, variable, 'v');
      tf.tidy(() => {
        const gradient = this.weightDecay === 0 ? rawGradient : tf.add(rawGradient, tf.mul(variable, this.weightDecay));
        const newM = tf.add(tf.mul(m, this.beta1), tf.mul(gradient, 1 - this.beta1));
        const newV = tf.add(tf.mul(v, this.beta2), tf.mul(tf.mul(gradient, 1 - this.beta2), gradient));
        const denominator = tf.add(tf.div(tf.sqrt(newV), biasCorrection2Sqrt), this.epsilon);
        m.assign(newM);
        v.assign(newV);
        variable.assign(tf.add(variable, tf.div(tf.mul(newM, -stepSize), denominator)));
      });
    });
    this.incrementIterations();
  }

  override dispose(): void {
    tf.dispose([...this.firstMoments, ...this.secondMoments].map((s) => s.variable));
    this.firstMoments = [];
    this.secondMoments = [];
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const slots = [...this.firstMoments, ...this.secondMoments];
    return [await this.saveIterations(), ...slots.map((s) => ({ name: s.originalName, tensor: s.variable }))];
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const slots = await this.extractIterations(weightValues);
    const half = slots.length / 2;
    this.dispose();
    this.firstMoments = slotsFrom(slots.slice(0, half));
    this.secondMoments = slotsFrom(slots.slice(half));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, weightDecay: this.weightDecay };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls(config);
  }
}

tf.serialization.registerClass(PyTorchAdamOptimizer);
