import { GanKitError } from './errors';

/** Serialisable state of an `Rng` (four 32-bit words of xoshiro128**, plus a cached normal). */
export interface RngState {
  s: [number, number, number, number];
  spareNormal: number | null;
}

/** A seeded pseudo-random generator (xoshiro128**) whose state can be saved and restored for resumable runs. */
export interface Rng {
  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number;
  /** A uniform float in [0, 1). */
  uniform(): number;
  /** A standard normal sample (Box–Muller, both values used). */
  normal(): number;
  /** A uniform integer in [0, n). */
  int(n: number): number;
  /** Fills a new Float32Array with standard normal samples. */
  normalArray(length: number, mean?: number, std?: number): Float32Array;
  /** Fills a new Float32Array with uniform samples in [low, high). */
  uniformArray(length: number, low?: number, high?: number): Float32Array;
  /** Shuffles an array in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[];
  /** A permutation of 0..n-1. */
  permutation(n: number): Uint32Array;
  /** A new independent generator seeded from this one. */
  fork(): Rng;
  /** The current state, a plain JSON-serialisable object. */
  getState(): RngState;
  /** Restores a state returned by `getState`. */
  setState(state: RngState): void;
}

function splitmix32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x9e3779b9) >>> 0;
    let z = a;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

class Xoshiro128 implements Rng {
  private s: [number, number, number, number];
  private spareNormal: number | null = null;

  constructor(s: [number, number, number, number]) {
    this.s = s;
  }

  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    s[0] >>>= 0; s[1] >>>= 0; s[2] >>>= 0; s[3] >>>= 0;
    return result;
  }

  uniform(): number {
    // 53 random bits → a double in [0, 1).
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 2 ** 32) {
      throw new GanKitError('INVALID_ARGUMENT', `rng.int(n) needs an integer n in [1, 2^32], got ${n}`);
    }
    // Rejection sampling: no modulo bias.
    const limit = 2 ** 32 - (2 ** 32 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  normalArray(length: number, mean = 0, std = 1): Float32Array {
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) out[i] = mean + std * this.normal();
    return out;
  }

  uniformArray(length: number, low = 0, high = 1): Float32Array {
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) out[i] = low + (high - low) * this.uniform();
    return out;
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  permutation(n: number): Uint32Array {
    const p = new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = p[i] as number;
      p[i] = p[j] as number;
      p[j] = tmp;
    }
    return p;
  }

  fork(): Rng {
    return createRng(this.nextUint32());
  }

  getState(): RngState {
    return { s: [...this.s], spareNormal: this.spareNormal };
  }

  setState(state: RngState): void {
    if (!Array.isArray(state.s) || state.s.length !== 4 || state.s.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff)) {
      throw new GanKitError('INVALID_ARGUMENT', 'rng state must be { s: four uint32 words, spareNormal: number | null }');
    }
    if (state.s.every((w) => w === 0)) throw new GanKitError('INVALID_ARGUMENT', 'rng state must not be all zeros');
    this.s = [state.s[0], state.s[1], state.s[2], state.s[3]];
    this.spareNormal = state.spareNormal;
  }
}

/** Creates a seeded generator; the same seed always yields the same sequence on every platform. */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new GanKitError('INVALID_ARGUMENT', `seed must be a finite number, got ${seed}`);
  const next = splitmix32(Math.floor(seed) >>> 0);
  return new Xoshiro128([next(), next(), next(), next()]);
}

/** Restores a generator from a saved state. */
export function rngFromState(state: RngState): Rng {
  const rng = new Xoshiro128([1, 2, 3, 4]);
  rng.setState(state);
  return rng;
}
