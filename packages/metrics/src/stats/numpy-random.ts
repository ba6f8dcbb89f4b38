/**
 * `np.random.RandomState(seed).permutation(n)` reproduced exactly (MT19937 with NumPy's legacy integer seeding,
 * then the legacy Fisher–Yates shuffle drawing with masked rejection), so that gankit can order samples the way
 * torch-fidelity does before its Inception Score splits.
 */
export function numpyLegacyPermutation(seed: number, n: number): Uint32Array {
  return new NumpyRandomState(seed).permutation(n);
}

/** The draws of NumPy's legacy `np.random.RandomState(seed)` that gankit needs, bit-exact. */
export class NumpyRandomState {
  private readonly next: () => number;

  constructor(seed: number) {
    this.next = mt19937(seed);
  }

  /** `permutation(n)`. */
  permutation(n: number): Uint32Array {
    return shuffledRange(this.next, n);
  }

  /** `choice(n, size, replace=False)` (NumPy: `permutation(n)[:size]`). */
  choiceWithoutReplacement(n: number, size: number): Uint32Array {
    return this.permutation(n).subarray(0, size);
  }
}

function shuffledRange(mt: () => number, n: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i >= 1; i--) {
    const j = randomInterval(mt, i);
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}

/** A uniform integer in [0, max] (NumPy's `random_interval` for max < 2³²). */
function randomInterval(next: () => number, max: number): number {
  if (max === 0) return 0;
  let mask = max;
  mask |= mask >>> 1;
  mask |= mask >>> 2;
  mask |= mask >>> 4;
  mask |= mask >>> 8;
  mask |= mask >>> 16;
  for (;;) {
    const value = (next() & mask) >>> 0;
    if (value <= max) return value;
  }
}

/** MT19937 seeded like `RandomState(seed)` for an integer seed in [0, 2³²); returns next uint32. */
function mt19937(seed: number): () => number {
  const N = 624;
  const state = new Uint32Array(N);
  state[0] = seed >>> 0;
  for (let i = 1; i < N; i++) {
    const prev = state[i - 1]!;
    state[i] = (Math.imul(1812433253, (prev ^ (prev >>> 30)) >>> 0) + i) >>> 0;
  }
  let pos = N;
  const twist = (): void => {
    for (let i = 0; i < N; i++) {
      const y = (state[i]! & 0x80000000) | (state[(i + 1) % N]! & 0x7fffffff);
      state[i] = (state[(i + 397) % N]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0)) >>> 0;
    }
    pos = 0;
  };
  return () => {
    if (pos >= N) twist();
    let y = state[pos++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  };
}
