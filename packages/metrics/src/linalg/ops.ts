import { GanKitError } from '@gankit/core';
import type { Block, LinalgRuntime } from './runtime';

/** Rows gathered before one SYRK update of the scatter matrix. */
const CHUNK_ROWS = 1024;
/** Panel width of the blocked Cholesky and tridiagonalisation. */
const PANEL = 32;

/**
 * Streaming mean and scatter matrix of d-dimensional rows, in float64, with per-chunk centring and Chan et
 * al.'s pairwise update (M₂ = M₂ₐ + M₂ᵦ + δδᵀ·nₐnᵦ/(nₐ+nᵦ)); the rows are never all held at once.
 */
export class ScatterAccumulator {
  readonly dim: number;
  private readonly rt: LinalgRuntime;
  private chunk: Block | undefined;
  private scatter: Block | undefined;
  private chunkMean: Block | undefined;
  private mean: Block | undefined;
  private rowsInChunk = 0;
  private count = 0;

  constructor(rt: LinalgRuntime, dim: number) {
    this.rt = rt;
    this.dim = dim;
  }

  /** Number of rows added so far. */
  get n(): number {
    return this.count + this.rowsInChunk;
  }

  /** Adds `rows` rows stored row-major in `data` (length rows·dim). */
  add(data: ArrayLike<number>, rows: number): void {
    const d = this.dim;
    this.ensureBuffers();
    let offset = 0;
    while (offset < rows) {
      const take = Math.min(rows - offset, CHUNK_ROWS - this.rowsInChunk);
      const view = this.rt.f64(this.chunk!, (CHUNK_ROWS + 1) * d);
      const src = ArrayBuffer.isView(data)
        ? (data as unknown as Float64Array).subarray(offset * d, (offset + take) * d)
        : Array.prototype.slice.call(data, offset * d, (offset + take) * d);
      view.set(src as ArrayLike<number>, this.rowsInChunk * d);
      this.rowsInChunk += take;
      offset += take;
      if (this.rowsInChunk === CHUNK_ROWS) this.flush();
    }
  }

  /** Returns the mean and the scatter matrix Σ(x−μ)(x−μ)ᵀ (full, d×d) and frees the buffers. */
  finish(): { mean: Float64Array; scatter: Float64Array; n: number } {
    const d = this.dim;
    this.ensureBuffers();
    if (this.rowsInChunk > 0) this.flush();
    this.rt.run('mirror_upper', [this.scatter!.ptr, d]);
    const out = {
      mean: this.rt.f64(this.mean!, d).slice(),
      scatter: this.rt.f64(this.scatter!, d * d).slice(),
      n: this.count,
    };
    this.dispose();
    return out;
  }

  /** Frees the buffers without producing a result. */
  dispose(): void {
    for (const b of [this.chunk, this.scatter, this.chunkMean, this.mean]) if (b) this.rt.release(b);
    this.chunk = this.scatter = this.chunkMean = this.mean = undefined;
  }

  private ensureBuffers(): void {
    if (this.chunk) return;
    const d = this.dim;
    this.chunk = this.rt.alloc((CHUNK_ROWS + 1) * d * 8);
    this.scatter = this.rt.alloc(d * d * 8);
    this.chunkMean = this.rt.alloc(d * 8);
    this.mean = this.rt.alloc(d * 8);
    this.rt.f64(this.scatter).fill(0);
    this.rt.f64(this.mean).fill(0);
  }

  private flush(): void {
    const d = this.dim;
    const m = this.rowsInChunk;
    const rows = this.rt.centerChunk(this.chunk!, m, d, this.chunkMean!, this.mean!, this.count);
    const scratch = this.rt.gemmScratch(d);
    const c = this.chunk!.ptr;
    this.rt.run('gemm_atb', [this.scatter!.ptr, d, c, d, c, d, rows, 0, d, 0, d, 1, 1, 0, 0], scratch);
    const mean = this.rt.f64(this.mean!, d);
    const chunkMean = this.rt.f64(this.chunkMean!, d);
    const w = m / (this.count + m);
    for (let i = 0; i < d; i++) mean[i]! += (chunkMean[i]! - mean[i]!) * w;
    this.count += m;
    this.rowsInChunk = 0;
  }
}

/** Result of {@link traceSqrtProduct}. */
export interface TraceSqrtResult {
  /** Tr √(Σ₁Σ₂) = Σᵢ √λᵢ(Σ₁Σ₂). */
  trace: number;
  /** Numerical rank of Σ₁ found by the pivoted Cholesky factorisation. */
  rank: number;
  /** Eigenvalues of Σ₁Σ₂ (unsorted; tiny negatives from rounding are kept as computed). */
  eigenvalues: Float64Array;
}

/**
 * Tr √(Σ₁Σ₂) for symmetric PSD Σ₁, Σ₂ (d×d, row-major): pivoted Cholesky PΣ₁Pᵀ = UᵀU (rank r), then the
 * eigenvalues of the symmetric r×r matrix U(PΣ₂Pᵀ)Uᵀ, which are the non-zero eigenvalues of Σ₁Σ₂.
 */
export function traceSqrtProduct(rt: LinalgRuntime, sigma1: Float64Array, sigma2: Float64Array, d: number): TraceSqrtResult {
  const blocks: Block[] = [];
  const alloc = (bytes: number): Block => {
    const b = rt.alloc(bytes);
    blocks.push(b);
    return b;
  };
  try {
    const a = alloc(d * d * 8);
    const perm = alloc(d * 4);
    const dg = alloc(d * 8);
    rt.f64(a, d * d).set(sigma1);
    let maxDiag = 0;
    for (let i = 0; i < d; i++) maxDiag = Math.max(maxDiag, sigma1[i * d + i]!);
    const tol = d * 2.220446049250313e-16 * maxDiag;
    const scratch = rt.gemmScratch(d);
    const rank = rt.run('pivoted_cholesky', [a.ptr, d, perm.ptr, dg.ptr, tol, PANEL], scratch);
    if (rank === 0) return { trace: 0, rank: 0, eigenvalues: new Float64Array(0) };
    // Ut (d × r) = Uᵀ: Ut[k, c] = U[c, k] for k ≥ c.  S2p = PΣ₂Pᵀ.
    const ut = alloc(d * rank * 8);
    const s2p = alloc(d * d * 8);
    {
      const av = rt.f64(a, d * d);
      const utv = rt.f64(ut, d * rank);
      utv.fill(0);
      for (let c = 0; c < rank; c++) {
        const row = c * d;
        for (let k = c; k < d; k++) utv[k * rank + c] = av[row + k]!;
      }
      const p = rt.i32(perm, d);
      const s2v = rt.f64(s2p, d * d);
      for (let i = 0; i < d; i++) {
        const src = p[i]! * d;
        const dst = i * d;
        for (let j = 0; j < d; j++) s2v[dst + j] = sigma2[src + p[j]!]!;
      }
    }
    rt.release(a);
    blocks.splice(blocks.indexOf(a), 1);
    // T (d × r) = S2p · Ut   (Ut[k, j] = 0 for k < j)
    const t = alloc(d * rank * 8);
    rt.f64(t, d * rank).fill(0);
    const scratch2 = rt.gemmScratch(Math.max(d, rank));
    rt.run('gemm_atb', [t.ptr, rank, s2p.ptr, d, ut.ptr, rank, d, 0, d, 0, rank, 1, 0, 0, 1], scratch2);
    rt.release(s2p);
    blocks.splice(blocks.indexOf(s2p), 1);
    // S (r × r, upper) = Utᵀ · T   (Ut[k, i] = 0 for k < i)
    const s = alloc(rank * rank * 8);
    rt.f64(s, rank * rank).fill(0);
    rt.run('gemm_atb', [s.ptr, rank, ut.ptr, rank, t.ptr, rank, d, 0, rank, 0, rank, 1, 1, 1, 0], scratch2);
    const eigenvalues = symmetricEigenvaluesInPlace(rt, s, rank, alloc);
    let trace = 0;
    for (const lambda of eigenvalues) if (lambda > 0) trace += Math.sqrt(lambda);
    return { trace, rank, eigenvalues };
  } finally {
    for (const b of blocks) rt.release(b);
  }
}

/** Eigenvalues of a symmetric n×n matrix held (upper triangle) in `s`, which is destroyed. */
function symmetricEigenvaluesInPlace(rt: LinalgRuntime, s: Block, n: number, alloc: (bytes: number) => Block): Float64Array {
  const d = alloc(n * 8);
  const e = alloc(n * 8);
  const vw = alloc(4 * PANEL * n * 8);
  const ypart = alloc(rt.threads * n * 8);
  const scratch = rt.gemmScratch(n);
  rt.run('tridiagonalize', [s.ptr, n, d.ptr, e.ptr, PANEL, vw.ptr, ypart.ptr], scratch);
  const status = rt.tridiagonalEigenvalues(d, e, n);
  if (status !== 0) {
    throw new GanKitError('NUMERIC_FAILURE', `symmetric eigenvalues: QL iteration did not converge (eigenvalue ${status - 1} of ${n})`);
  }
  return rt.f64(d, n).slice();
}

/** Eigenvalues of a symmetric n×n matrix (row-major, full or upper triangle). */
export function symmetricEigenvalues(rt: LinalgRuntime, matrix: Float64Array, n: number): Float64Array {
  const blocks: Block[] = [];
  const alloc = (bytes: number): Block => {
    const b = rt.alloc(bytes);
    blocks.push(b);
    return b;
  };
  try {
    const s = alloc(n * n * 8);
    rt.f64(s, n * n).set(matrix.subarray(0, n * n));
    return symmetricEigenvaluesInPlace(rt, s, n, alloc);
  } finally {
    for (const b of blocks) rt.release(b);
  }
}

/**
 * Calls `onBlock(g, i0, rb)` with consecutive row blocks of the Gram matrix G = X Yᵀ (X: n×d, Y: m×d,
 * row-major), g being rb×m row-major. At most `rowsPerBlock` rows of G exist at once.
 */
export function gramBlocks(
  rt: LinalgRuntime,
  x: ArrayLike<number>,
  n: number,
  y: ArrayLike<number>,
  m: number,
  d: number,
  rowsPerBlock: number,
  onBlock: (g: Float64Array, i0: number, rb: number) => void,
): void {
  const blocks: Block[] = [];
  const alloc = (bytes: number): Block => {
    const b = rt.alloc(bytes);
    blocks.push(b);
    return b;
  };
  try {
    const xt = alloc(d * n * 8);
    const yt = x === y && n === m ? xt : alloc(d * m * 8);
    const c = alloc(rowsPerBlock * m * 8);
    transposeInto(rt.f64(xt, d * n), x, n, d);
    if (yt !== xt) transposeInto(rt.f64(yt, d * m), y, m, d);
    const scratch = rt.gemmScratch(Math.max(rowsPerBlock, m));
    for (let i0 = 0; i0 < n; i0 += rowsPerBlock) {
      const rb = Math.min(rowsPerBlock, n - i0);
      rt.f64(c, rb * m).fill(0);
      rt.run('gemm_atb', [c.ptr, m, xt.ptr + i0 * 8, n, yt.ptr, m, d, 0, rb, 0, m, 1, 0, 0, 0], scratch);
      onBlock(rt.f64(c, rb * m), i0, rb);
    }
  } finally {
    for (const b of blocks) rt.release(b);
  }
}

function transposeInto(dst: Float64Array, src: ArrayLike<number>, rows: number, cols: number): void {
  const tile = 32;
  for (let r0 = 0; r0 < rows; r0 += tile) {
    const r1 = Math.min(r0 + tile, rows);
    for (let c0 = 0; c0 < cols; c0 += tile) {
      const c1 = Math.min(c0 + tile, cols);
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) dst[c * rows + r] = src[r * cols + c]!;
    }
  }
}
