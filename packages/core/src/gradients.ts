// tfjs-core 4.x registers no gradient functions when imported on its own: `@tensorflow/tfjs` (the union
// package) and `@tensorflow/tfjs-layers` do. tfjs-core's per-file ESM (`dist/register_all_gradients.js`)
// cannot be imported by plain Node (extensionless relative imports), while tfjs-layers' Node bundle
// registers the complete list into the shared registry when it loads. Importing @gankit/core therefore
// makes `tf.grad`, `tf.variableGrads` and `optimizer.minimize` work with tfjs-core alone.
import * as tf from '@tensorflow/tfjs-core';
import { version_layers } from '@tensorflow/tfjs-layers';
import { GanKitError } from './errors';

/** The tfjs-layers version whose import registered TF.js's gradient functions. */
export const gradientsRegisteredBy = `@tensorflow/tfjs-layers@${version_layers}`;

/**
 * The gradient of `tile(x, reps)`: dx = Σ over the repeats of dy, one reshape + sum per repeated axis.
 *
 * TF.js 4.22's own Tile gradient adds up one `slice` of dy per repeat, all of them recorded: for a rank-4 x tiled
 * [1, H, W, C] times (what tfjs-layers' LayerNormalization does to its per-sample mean and variance) that is
 * H·W·C slices and adds, and a gradient penalty's second-order pass turns each slice into a full-size `pad`. On
 * the WGAN-GP critic that held ~300 MB per sample and exhausted wasm's 4 GiB at batch 16. This version records
 * at most 2·rank ops whatever the repeats are.
 */
export function tileGradient(dy: tf.Tensor, xShape: readonly number[], reps: readonly number[]): tf.Tensor {
  return tf.tidy(() => {
    let grad = dy;
    let before = 1;
    for (let axis = 0; axis < xShape.length; axis++) {
      const size = xShape[axis] as number;
      const repeat = reps[axis] ?? 1;
      const after = xShape.slice(axis + 1).reduce((n, d, i) => n * d * (reps[axis + 1 + i] ?? 1), 1);
      if (repeat > 1) grad = tf.sum(tf.reshape(grad, [before, repeat, size * after]), 1);
      before *= size;
    }
    return tf.reshape(grad, [...xShape]);
  });
}

/**
 * Replaces gradients of TF.js 4.22 that are correct but whose cost grows with their attributes rather than their
 * data (today: Tile). Idempotent; `initBackend` calls it again, so it also wins over a later import of
 * `@tensorflow/tfjs` that re-registers the stock gradients. Returns the kernel names it registered.
 */
export function registerGradientFixes(): string[] {
  tf.registerGradient({
    kernelName: tf.Tile,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [tf.Tensor];
      const { reps } = attrs as unknown as tf.TileAttrs;
      return { x: () => tileGradient(dy as tf.Tensor, x.shape, reps) };
    },
  });
  return [tf.Tile];
}

registerGradientFixes();

/** The fields of tfjs-core's engine state that hold the gradient tape (stable since TF.js 1.x). */
interface TapeState {
  gradientDepth: number;
  /** Undefined until the first gradient has run, null between gradients. */
  activeTape: unknown[] | null | undefined;
}

function tapeState(): TapeState | undefined {
  const state = (tf.engine() as unknown as { state?: Partial<TapeState> }).state;
  const ok = state !== undefined && typeof state.gradientDepth === 'number' && (state.activeTape == null || Array.isArray(state.activeTape));
  return ok ? (state as TapeState) : undefined;
}

/** True when `outsideGradientTape` can pause the tape on this TF.js version. */
export function canPauseGradientTape(): boolean {
  return tapeState() !== undefined;
}

/**
 * Runs `fn` as if no gradient tape were recording, then resumes the enclosing tape(s) unchanged.
 *
 * Inside `tf.variableGrads`, TF.js records every op on the one shared tape and keeps each op's saved inputs until
 * the outer gradient finishes, even ops whose result cannot reach the outer loss (`fn` may not use a tensor it
 * computes to feed the outer loss except through variables it assigns). The shared-forward GAN step runs the
 * whole D update inside G's tape; recorded, it kept D's forward and backward activations alive through G's
 * backward (~2 GB at DCGAN-64, batch 128). TF.js has no public way to pause the tape, so this swaps the engine's
 * tape fields; `GanKitError('UNSUPPORTED')` if this TF.js version lacks them (check `canPauseGradientTape()`).
 */
export function outsideGradientTape<T>(fn: () => T): T {
  const state = tapeState();
  if (state === undefined) throw new GanKitError('UNSUPPORTED', `this TF.js version (${tf.version_core}) does not expose the gradient tape gankit pauses`);
  const { gradientDepth, activeTape } = state;
  state.gradientDepth = 0;
  state.activeTape = null;
  try {
    return fn();
  } finally {
    state.gradientDepth = gradientDepth;
    state.activeTape = activeTape;
  }
}

/** A recorded op on TF.js's gradient tape (tfjs-core's internal `TapeNode`). */
interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  saved?: tf.Tensor[];
  gradient?: (dys: tf.Tensor[]) => Record<string, () => tf.Tensor>;
}

/** The engine methods `lowMemoryVariableGrads` drives (tfjs-core's own `Engine.gradients` uses the same). */
interface EngineInternals {
  state: TapeState & { activeTape: TapeNode[] | null | undefined };
  startTape(): void;
  endTape(): void;
  tidy<T extends tf.TensorContainer>(name: string, fn: () => T): T;
  registeredVariables: Record<string, tf.Variable>;
}

function engineInternals(): EngineInternals | undefined {
  const engine = tf.engine() as unknown as Partial<EngineInternals>;
  const ok = tapeState() !== undefined && typeof engine.startTape === 'function' && typeof engine.endTape === 'function' && typeof engine.tidy === 'function';
  return ok ? (engine as EngineInternals) : undefined;
}

/**
 * The tape in an order where every node comes after the nodes that produced its inputs. TF.js records the copy of an
 * op's output it saves for the backward pass (Tanh, Sigmoid, Exp, Softmax, Max, MaxPool, Pow, …) *before* the op
 * itself, so in tape order that copy looks unconnected to anything: tfjs-core's own `tf.grad` then drops the
 * dependence of such an op's gradient on its output, and second-order gradients through it (a gradient penalty on a
 * critic with tanh) come out wrong. Reordering connects them.
 */
function dependencyOrder(tape: TapeNode[]): TapeNode[] {
  const producer = new Map<number, TapeNode>();
  for (const node of tape) for (const output of node.outputs) producer.set(output.id, node);
  const placed = new Set<number>();
  const ordered: TapeNode[] = [];
  const place = (node: TapeNode): void => {
    if (placed.has(node.id)) return;
    placed.add(node.id);
    for (const input of Object.values(node.inputs)) {
      const from = producer.get(input.id);
      if (from !== undefined) place(from);
    }
    ordered.push(node);
  };
  for (const node of tape) place(node);
  return ordered;
}

/** The tape nodes on a path from any of `xs` to `y`, with inputs not computed from `xs` pruned (as tfjs-core), in dependency order. */
function nodesFromXsToY(recorded: TapeNode[], xs: tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const tape = dependencyOrder(recorded);
  const fromX = new Set(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((input) => fromX.has(input.id))) {
      nodesFromX.add(node.id);
      for (const output of node.outputs) fromX.add(output.id);
    }
  }
  const leadToY = new Set([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i] as TapeNode;
    if (!node.outputs.some((output) => leadToY.has(output.id))) continue;
    nodesToY.add(node.id);
    for (const input of Object.values(node.inputs)) leadToY.add(input.id);
  }
  return tape
    .filter((node) => nodesFromX.has(node.id) && nodesToY.has(node.id))
    .map((node) => ({ ...node, inputs: Object.fromEntries(Object.entries(node.inputs).filter(([, input]) => fromX.has(input.id))) }));
}

/** Gradients keyed by tensor id, with a count of how many ids hold each tensor (a gradient can be passed on as is). */
class GradientMap {
  private readonly byId = new Map<number, tf.Tensor>();
  private readonly holders = new Map<tf.Tensor, number>();

  get(id: number): tf.Tensor | undefined {
    return this.byId.get(id);
  }

  /** Sets the gradient of `id`, disposing the one it replaces unless another id holds it. */
  set(id: number, gradient: tf.Tensor): void {
    this.holders.set(gradient, (this.holders.get(gradient) ?? 0) + 1);
    this.release(id, true);
    this.byId.set(id, gradient);
  }

  /** Disposes `tensor` unless some id holds it. */
  disposeIfUnheld(tensor: tf.Tensor): void {
    if (!this.holders.has(tensor)) tensor.dispose();
  }

  /** Forgets the gradient of `id`; disposes it when `dispose` and no other id holds it. */
  release(id: number, dispose: boolean): void {
    const gradient = this.byId.get(id);
    if (gradient === undefined) return;
    this.byId.delete(id);
    const left = (this.holders.get(gradient) ?? 1) - 1;
    if (left > 0) {
      this.holders.set(gradient, left);
      return;
    }
    this.holders.delete(gradient);
    if (dispose) gradient.dispose();
  }
}

/** Walks the tape backwards like tfjs-core's `backpropagateGradients`, freeing each node's output gradients and saved tensors once it is done. */
function backpropagateFreeing(tape: TapeNode[], gradients: GradientMap, keep: Set<number>): void {
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i] as TapeNode;
    if (node.gradient === undefined) throw new GanKitError('UNSUPPORTED', `cannot compute a gradient: TF.js has no gradient function for ${node.kernelName}`);
    const dys = node.outputs.map((output) => gradients.get(output.id)) as tf.Tensor[];
    const inputGradients = node.gradient(dys);
    for (const [name, input] of Object.entries(node.inputs)) {
      const compute = inputGradients[name];
      if (compute === undefined) throw new GanKitError('UNSUPPORTED', `cannot backprop through input ${name} of ${node.kernelName}`);
      const dx = tf.tidy(compute);
      if (dx.dtype !== 'float32' || dx.shape.join() !== input.shape.join()) {
        throw new GanKitError('NUMERIC_FAILURE', `the gradient of ${node.kernelName}'s input ${name} is ${dx.dtype} [${dx.shape.join(', ')}], expected float32 [${input.shape.join(', ')}]`);
      }
      const previous = gradients.get(input.id);
      if (previous === undefined) {
        gradients.set(input.id, dx);
      } else {
        gradients.set(input.id, tf.add(previous, dx));
        gradients.disposeIfUnheld(dx);
      }
    }
    for (const output of node.outputs) if (!keep.has(output.id)) gradients.release(output.id, true);
    for (const saved of node.saved ?? []) saved.dispose();
  }
}

/**
 * `tf.variableGrads(f, varList)` with PyTorch's memory profile: the same tape and gradient functions, but each op's
 * saved tensors and its outputs' gradients are freed as soon as the backward pass has gone past it, instead of all at
 * the end. TF.js keeps every intermediate gradient of a backward pass alive until it finishes, which doubled the
 * peak memory of a GAN step (measured: bench/memory). Inside another gradient tape (higher-order gradients, e.g.
 * the WGAN-GP penalty's inner gradient) the outer tape needs those tensors, so it defers to `tf.variableGrads`.
 */
export function lowMemoryVariableGrads(f: () => tf.Scalar, varList?: tf.Variable[]): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  const engine = engineInternals();
  if (engine === undefined || engine.state.gradientDepth > 0) return tf.variableGrads(f, varList);
  const xs = varList ?? Object.values(engine.registeredVariables).filter((v) => v.trainable);
  if (xs.length === 0) throw new GanKitError('INVALID_ARGUMENT', 'lowMemoryVariableGrads: there are no trainable variables to differentiate');
  engine.startTape();
  let y: tf.Tensor;
  try {
    y = engine.tidy('forward', f);
  } finally {
    engine.endTape();
  }
  const tape = engine.state.activeTape ?? [];
  try {
    if (!(y instanceof tf.Tensor) || y.rank !== 0) throw new GanKitError('INVALID_ARGUMENT', `lowMemoryVariableGrads: f must return a scalar, got ${y instanceof tf.Tensor ? `rank ${y.rank}` : typeof y}`);
    const filtered = nodesFromXsToY(tape, xs, y);
    if (filtered.length === 0) throw new GanKitError('INVALID_ARGUMENT', 'lowMemoryVariableGrads: the loss does not depend on any of the variables');
    const grads = engine.tidy('backward', () => {
      const gradients = new GradientMap();
      gradients.set(y.id, tf.onesLike(y));
      backpropagateFreeing(filtered, gradients, new Set(xs.map((x) => x.id)));
      const named: tf.NamedTensorMap = {};
      for (const x of xs) {
        const g = gradients.get(x.id);
        if (g !== undefined) named[x.name] = g;
      }
      return named;
    });
    return { value: y as tf.Scalar, grads };
  } finally {
    for (const node of tape) for (const saved of node.saved ?? []) saved.dispose();
    engine.state.activeTape = null;
  }
}
