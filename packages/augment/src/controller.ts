import { GanKitError } from '@gankit/core';

/** Settings of the ADA probability controller; the defaults are the paper's. */
export interface AdaControllerOptions {
  /** Target of the overfitting heuristic r_t = E[sign(D(x_real))] (default 0.6). */
  target?: number;
  /** Adjust p every this many D steps (default 4). */
  interval?: number;
  /** Thousands of real images over which p can move by 1 (default 500: 0 → 1 in 500k images); smaller reacts faster. */
  kimg?: number;
  /** Starting p (default 0). */
  initialP?: number;
}

/** The controller's serializable state, saved in checkpoints so a resumed run continues exactly. */
export interface AdaControllerState {
  /** The current augmentation probability. */
  p: number;
  /** Sum of sign(D(x_real)) observed since the last adjustment. */
  signSum: number;
  /** Number of real logits in `signSum`. */
  signCount: number;
  /** D steps since the last adjustment. */
  stepsSinceAdjust: number;
  /** r_t at the last adjustment, or null before the first. */
  lastRt: number | null;
  /** Number of adjustments so far. */
  adjustments: number;
}

function positive(value: number | undefined, fallback: number, name: string, integer = false): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    throw new GanKitError('INVALID_ARGUMENT', `ADA ${name} is ${String(value)}; expected a ${integer ? 'positive integer' : 'positive number'}`);
  }
  return v;
}

/**
 * Adaptive discriminator augmentation's p controller (Karras et al., "Training Generative Adversarial Networks
 * with Limited Data", NeurIPS 2020, section 3): accumulate sign(D(x_real)) over `interval` D steps, then
 * r_t = mean sign and p ← clamp(p + sign(r_t - target) · (batch · interval) / (kimg · 1000), 0, 1).
 */
export class AdaController {
  readonly target: number;
  readonly interval: number;
  readonly kimg: number;
  private state: AdaControllerState;

  constructor(options: AdaControllerOptions = {}) {
    const target = options.target ?? 0.6;
    if (!Number.isFinite(target) || target < -1 || target > 1) throw new GanKitError('INVALID_ARGUMENT', `ADA target is ${String(options.target)}; expected a number in [-1, 1] (the paper uses 0.6)`);
    this.target = target;
    this.interval = positive(options.interval, 4, 'interval', true);
    this.kimg = positive(options.kimg, 500, 'kimg');
    const p = options.initialP ?? 0;
    if (!Number.isFinite(p) || p < 0 || p > 1) throw new GanKitError('INVALID_ARGUMENT', `ADA initialP is ${String(options.initialP)}; expected a probability in [0, 1]`);
    this.state = { p, signSum: 0, signCount: 0, stepsSinceAdjust: 0, lastRt: null, adjustments: 0 };
  }

  /** The current augmentation probability. */
  get p(): number {
    return this.state.p;
  }

  /** r_t at the last adjustment (null before the first). */
  get lastRt(): number | null {
    return this.state.lastRt;
  }

  /**
   * Records one D step: `realLogits` are D's outputs on the (augmented) real batch (only their signs are used);
   * every `interval` steps p is adjusted. Returns true when p was adjusted at this step.
   */
  update(realLogits: ArrayLike<number>): boolean {
    if (realLogits.length === 0) throw new GanKitError('INVALID_ARGUMENT', 'ADA update: no real logits; expected D(x_real) for the batch');
    let sum = 0;
    for (let i = 0; i < realLogits.length; i++) sum += Math.sign(realLogits[i]!);
    return this.updateSigns(sum, realLogits.length);
  }

  /** `update` from the sum of sign(D(x_real)) over a batch of `count` real images (read back as one number). */
  updateSigns(signSum: number, count: number): boolean {
    if (!Number.isFinite(signSum) || !Number.isInteger(count) || count < 1 || Math.abs(signSum) > count) {
      throw new GanKitError('INVALID_ARGUMENT', `ADA update: sign sum ${signSum} over ${count} images; expected a finite sum within ±count and count ≥ 1`);
    }
    const s = this.state;
    s.signSum += signSum;
    s.signCount += count;
    s.stepsSinceAdjust += 1;
    if (s.stepsSinceAdjust < this.interval) return false;
    const rt = s.signSum / s.signCount;
    const batch = s.signCount / s.stepsSinceAdjust;
    const adjust = Math.sign(rt - this.target) * (batch * this.interval) / (this.kimg * 1000);
    s.p = Math.min(1, Math.max(0, s.p + adjust));
    s.lastRt = rt;
    s.adjustments += 1;
    s.signSum = 0;
    s.signCount = 0;
    s.stepsSinceAdjust = 0;
    return true;
  }

  /** A copy of the state, JSON-serializable. */
  getState(): AdaControllerState {
    return { ...this.state };
  }

  /** Restores a state returned by `getState` (e.g. from a checkpoint). */
  setState(state: AdaControllerState): void {
    const ok = typeof state === 'object' && state !== null && Number.isFinite(state.p) && state.p >= 0 && state.p <= 1
      && Number.isFinite(state.signSum) && Number.isInteger(state.signCount) && state.signCount >= 0
      && Number.isInteger(state.stepsSinceAdjust) && state.stepsSinceAdjust >= 0 && Number.isInteger(state.adjustments)
      && (state.lastRt === null || Number.isFinite(state.lastRt));
    if (!ok) throw new GanKitError('FILE_CORRUPT', `ADA controller state ${JSON.stringify(state)} is invalid; expected {p in [0, 1], signSum, signCount, stepsSinceAdjust, lastRt, adjustments}`);
    this.state = { ...state };
  }
}
