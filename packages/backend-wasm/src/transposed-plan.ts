/**
 * Sub-pixel decomposition of a transposed convolution along one spatial axis.
 *
 * The input gradient of a forward convolution `y[o] = Σ_k x[o·s + k·d − p] · w[k]` is
 * `dx[i] = Σ_{o,k : o·s + k·d − p = i} dy[o] · w[k]`. Splitting `i = s·a + r` into `s` phases `r`, each phase
 * is an ordinary stride-1 correlation of `dy` with a sub-filter: `dx[s·a + r] = Σ_m dy[a + start + m·dc] · F_r[m]`.
 * All phases share one window (`start`, `window`, `dc`), so one conv2d with the phases stacked as output
 * channels computes every phase at once; interleaving the phases gives `dx`.
 */
export interface TransposedAxisPlan {
  /** Forward stride `s` = number of phases. */
  stride: number;
  /** Dilation of the stride-1 correlation (the forward dilation when the stride is 1, else 1). */
  convDilation: number;
  /** Taps of the shared sub-filter window. */
  window: number;
  /** Zero padding before `dy` for the correlation. */
  padBefore: number;
  /** Zero padding after `dy` for the correlation. */
  padAfter: number;
  /** Positions `a` per phase that `dx` needs: ceil(inSize / stride). */
  positions: number;
  /** Output length of the correlation (≥ positions; the rest is cropped). */
  convOutLength: number;
  /** `taps[r][m]`: the forward filter index feeding window tap `m` of phase `r`, or -1 for a zero tap. */
  taps: Int32Array[];
}

/** Geometry of one axis of a forward convolution. */
export interface AxisGeometry {
  /** Length of the forward input (= length of dx). */
  inSize: number;
  /** Length of the forward output (= length of dy). */
  outSize: number;
  filterSize: number;
  stride: number;
  dilation: number;
  /** Zero padding before the input in the forward convolution. */
  padBefore: number;
}

interface Tap {
  phase: number;
  offset: number;
  k: number;
}

function phaseTaps(g: AxisGeometry): Tap[] {
  const taps: Tap[] = [];
  for (let r = 0; r < g.stride; r++) {
    for (let k = 0; k < g.filterSize; k++) {
      const numerator = r + g.padBefore - k * g.dilation;
      if (((numerator % g.stride) + g.stride) % g.stride === 0) taps.push({ phase: r, offset: numerator / g.stride, k });
    }
  }
  return taps;
}

/** Plans the sub-pixel decomposition of one axis (see `TransposedAxisPlan`). */
export function planTransposedAxis(g: AxisGeometry): TransposedAxisPlan {
  const convDilation = g.stride === 1 ? g.dilation : 1;
  const taps = phaseTaps(g);
  let minOffset = Infinity;
  let maxOffset = -Infinity;
  for (const t of taps) {
    minOffset = Math.min(minOffset, t.offset);
    maxOffset = Math.max(maxOffset, t.offset);
  }
  // The window may not start after dy's first element (no negative padding): extend it with zero taps,
  // keeping the start on the tap lattice (every offset ≡ minOffset mod convDilation).
  const start = minOffset <= 0 ? minOffset : minOffset - convDilation * Math.ceil(minOffset / convDilation);
  const window = (maxOffset - start) / convDilation + 1;
  const positions = Math.ceil(g.inSize / g.stride);
  const padBefore = -start;
  const padAfter = Math.max(0, positions + (window - 1) * convDilation - g.outSize - padBefore);
  const convOutLength = g.outSize + padBefore + padAfter - (window - 1) * convDilation;
  const table = Array.from({ length: g.stride }, () => new Int32Array(window).fill(-1));
  for (const t of taps) {
    const row = table[t.phase];
    if (row) row[(t.offset - start) / convDilation] = t.k;
  }
  return { stride: g.stride, convDilation, window, padBefore, padAfter, positions, convOutLength, taps: table };
}

/** One phase of one axis when every phase gets its own exact-size correlation (no zero taps). */
export interface PhaseAxisPlan {
  /** Taps of this phase's window (0 when no filter tap feeds this phase: its outputs are zero). */
  window: number;
  padBefore: number;
  padAfter: number;
  /** Positions `a` with `s·a + r < inSize`. */
  positions: number;
  /** Output length of this phase's correlation (≥ positions). */
  convOutLength: number;
  /** `taps[m]`: the forward filter index of window tap `m`, or -1. */
  taps: Int32Array;
}

/** Plans each phase of one axis separately: exact sub-filters, so no multiply-adds with zero taps. */
export function planTransposedAxisPerPhase(g: AxisGeometry): { convDilation: number; phases: PhaseAxisPlan[] } {
  const convDilation = g.stride === 1 ? g.dilation : 1;
  const taps = phaseTaps(g);
  const phases: PhaseAxisPlan[] = [];
  for (let r = 0; r < g.stride; r++) {
    const own = taps.filter((t) => t.phase === r);
    const positions = Math.ceil((g.inSize - r) / g.stride);
    if (own.length === 0) {
      phases.push({ window: 0, padBefore: 0, padAfter: 0, positions, convOutLength: 0, taps: new Int32Array(0) });
      continue;
    }
    const minOffset = Math.min(...own.map((t) => t.offset));
    const maxOffset = Math.max(...own.map((t) => t.offset));
    const start = minOffset <= 0 ? minOffset : minOffset - convDilation * Math.ceil(minOffset / convDilation);
    const window = (maxOffset - start) / convDilation + 1;
    const padBefore = -start;
    const padAfter = Math.max(0, positions + (window - 1) * convDilation - g.outSize - padBefore);
    const convOutLength = g.outSize + padBefore + padAfter - (window - 1) * convDilation;
    const table = new Int32Array(window).fill(-1);
    for (const t of own) table[(t.offset - start) / convDilation] = t.k;
    phases.push({ window, padBefore, padAfter, positions, convOutLength, taps: table });
  }
  return { convDilation, phases };
}
