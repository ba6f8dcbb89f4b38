/*
 * Float64 kernels for @gankit/metrics (covariance, pivoted Cholesky, symmetric tridiagonalisation,
 * tridiagonal eigenvalues), compiled to WebAssembly with 128-bit SIMD and shared-memory threads.
 * Build: packages/metrics/scripts/build-kernels.sh (clang 16, wasm32, -msimd128 -matomics).
 *
 * Every driver is SPMD: all threads call it with the same arguments and their own `tid`; phases are
 * separated by `barrier()`; serial phases run on tid 0. Matrices are row-major doubles in linear memory.
 * Symmetric matrices are kept in their upper triangle (row i holds columns i..n-1) unless stated.
 */
#include <wasm_simd128.h>

typedef double f64;
typedef int i32;
typedef unsigned long size_t;
#define EXPORT __attribute__((visibility("default")))
/* V8 runs a wasm function with its baseline compiler until a later call, so hot loops live in functions
 * that are called often (and are kept out of line). */
#define NOINLINE __attribute__((noinline))

/* GANKIT_FMA: the variant built with relaxed SIMD (f64x2.relaxed_madd, fused where the CPU has FMA), picked at
 * run time when the engine validates it (Node >= 22); the plain variant uses a separate multiply and add. */
#ifdef GANKIT_FMA
#define MADD(c, a, b) __builtin_wasm_relaxed_madd_f64x2(a, b, c)
#else
#define MADD(c, a, b) wasm_f64x2_add(c, wasm_f64x2_mul(a, b))
#endif

#define MR 4
#define NR 4
#define KB 256
#define NB 512
#define MC_PANELS 16

/* ---------------------------------------------------------------- barrier (sense reversing) */

/* ctl[0] = arrived count, ctl[1] = generation. */
static volatile i32 *g_ctl;

EXPORT void set_control(i32 *ctl) { g_ctl = ctl; }

static void barrier(i32 nthreads) {
  if (nthreads <= 1) return;
  i32 gen = __atomic_load_n(&g_ctl[1], __ATOMIC_ACQUIRE);
  i32 arrived = __atomic_add_fetch(&g_ctl[0], 1, __ATOMIC_ACQ_REL);
  if (arrived == nthreads) {
    __atomic_store_n(&g_ctl[0], 0, __ATOMIC_RELAXED);
    __atomic_add_fetch(&g_ctl[1], 1, __ATOMIC_ACQ_REL);
    __builtin_wasm_memory_atomic_notify((i32 *)&g_ctl[1], 0x7fffffff);
    return;
  }
  for (i32 spin = 0; spin < 4000; spin++) {
    if (__atomic_load_n(&g_ctl[1], __ATOMIC_ACQUIRE) != gen) return;
  }
  while (__atomic_load_n(&g_ctl[1], __ATOMIC_ACQUIRE) == gen) {
    __builtin_wasm_memory_atomic_wait32((i32 *)&g_ctl[1], gen, 1000000);
  }
}

static inline i32 imin(i32 a, i32 b) { return a < b ? a : b; }
static inline i32 imax(i32 a, i32 b) { return a > b ? a : b; }

/* ---------------------------------------------------------------- C += alpha * A^T B */

/* Packs rows [k0,k0+kb) x columns [c0,c1) of X into 4-wide panels: dst[(p*kb + k)*4 + t]. */
NOINLINE static void pack_panels(const f64 *X, i32 ld, i32 k0, i32 kb, i32 c0, i32 c1, f64 *dst) {
  for (i32 c = c0, p = 0; c < c1; c += 4, p++) {
    f64 *d = dst + (size_t)p * kb * 4;
    i32 w = imin(4, c1 - c);
    const f64 *src = X + (size_t)k0 * ld + c;
    if (w == 4) {
      for (i32 k = 0; k < kb; k++) {
        wasm_v128_store(d + k * 4, wasm_v128_load(src));
        wasm_v128_store(d + k * 4 + 2, wasm_v128_load(src + 2));
        src += ld;
      }
    } else {
      for (i32 k = 0; k < kb; k++) {
        for (i32 t = 0; t < 4; t++) d[k * 4 + t] = t < w ? src[t] : 0.0;
        src += ld;
      }
    }
  }
}

/* 4x4 tile of C (rows ci.., cols cj..; only mr x nr written) += alpha * sum_k pa[k,:]^T pb[k,:]. */
NOINLINE static void micro_4x4(i32 kb, const f64 *pa, const f64 *pb, f64 *C, i32 ldc, i32 mr, i32 nr, f64 alpha) {
  v128_t c00 = wasm_f64x2_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (i32 k = 0; k < kb; k++) {
    v128_t b0 = wasm_v128_load(pb), b1 = wasm_v128_load(pb + 2);
    v128_t a0 = wasm_v128_load64_splat(pa), a1 = wasm_v128_load64_splat(pa + 1);
    c00 = MADD(c00, a0, b0);
    c01 = MADD(c01, a0, b1);
    c10 = MADD(c10, a1, b0);
    c11 = MADD(c11, a1, b1);
    v128_t a2 = wasm_v128_load64_splat(pa + 2), a3 = wasm_v128_load64_splat(pa + 3);
    c20 = MADD(c20, a2, b0);
    c21 = MADD(c21, a2, b1);
    c30 = MADD(c30, a3, b0);
    c31 = MADD(c31, a3, b1);
    pa += 4;
    pb += 4;
  }
  v128_t al = wasm_f64x2_splat(alpha);
  if (mr == 4 && nr == 4) {
#define STORE_ROW(r, x0, x1)                                                                        \
  {                                                                                                 \
    f64 *c = C + (size_t)(r) * ldc;                                                                 \
    wasm_v128_store(c, wasm_f64x2_add(wasm_v128_load(c), wasm_f64x2_mul(al, x0)));                  \
    wasm_v128_store(c + 2, wasm_f64x2_add(wasm_v128_load(c + 2), wasm_f64x2_mul(al, x1)));          \
  }
    STORE_ROW(0, c00, c01)
    STORE_ROW(1, c10, c11)
    STORE_ROW(2, c20, c21)
    STORE_ROW(3, c30, c31)
#undef STORE_ROW
  } else {
    for (i32 r = 0; r < mr; r++)
      for (i32 s = 0; s < nr; s++) {
        v128_t x = r == 0 ? (s < 2 ? c00 : c01) : r == 1 ? (s < 2 ? c10 : c11) : r == 2 ? (s < 2 ? c20 : c21) : (s < 2 ? c30 : c31);
        f64 val = (s & 1) ? wasm_f64x2_extract_lane(x, 1) : wasm_f64x2_extract_lane(x, 0);
        C[(size_t)r * ldc + s] += alpha * val;
      }
  }
}

/*
 * C[i,j] += alpha * sum_{k<K} A[k,i] * B[k,j] for i in [i0,i1), j in [j0,j1).
 * upper: only tiles touching j >= i are computed (others left untouched).
 * aTri: A[k,i] == 0 for k < i (skip those k-chunks);  bTri: B[k,j] == 0 for k < j.
 * Threads take 4-row panels of C round-robin. work: per-thread scratch of (i1-i0+4)*KB + NB*KB doubles.
 */
EXPORT void gemm_atb(i32 tid, i32 nthreads, f64 *C, i32 ldc, const f64 *A, i32 lda, const f64 *B, i32 ldb, i32 K, i32 i0,
              i32 i1, i32 j0, i32 j1, f64 alpha, i32 upper, i32 aTri, i32 bTri, f64 *work) {
  i32 npanels = (i1 - i0 + 3) / 4;
  i32 mine = 0;
  for (i32 p = tid; p < npanels; p += nthreads) mine++;
  if (mine == 0) return;
  f64 *packA = work;
  f64 *packB = work + (size_t)mine * 4 * KB;
  for (i32 k0 = 0; k0 < K; k0 += KB) {
    i32 kb = imin(KB, K - k0);
    /* pack my panels of A */
    i32 q = 0;
    for (i32 p = tid; p < npanels; p += nthreads, q++) {
      i32 c = i0 + p * 4;
      pack_panels(A, lda, k0, kb, c, imin(c + 4, i1), packA + (size_t)q * kb * 4);
    }
    for (i32 jj0 = j0; jj0 < j1; jj0 += NB) {
      i32 jj1 = imin(jj0 + NB, j1);
      if (bTri && k0 + kb <= jj0) continue;
      /* first panel of mine that has any work in this block */
      i32 any = 0;
      for (i32 p = tid; p < npanels; p += nthreads) {
        i32 ib = i0 + p * 4;
        if (upper && jj1 <= ib) break;
        if (aTri && k0 + kb <= ib) continue;
        any = 1;
        break;
      }
      if (!any) continue;
      pack_panels(B, ldb, k0, kb, jj0, jj1, packB);
      /* groups of MC_PANELS of my A panels stay in L2 while each 4-column B micro-panel (L1) sweeps them */
      for (i32 g0 = 0; g0 < mine; g0 += MC_PANELS) {
        i32 g1 = imin(g0 + MC_PANELS, mine);
        for (i32 jb = jj0; jb < jj1; jb += 4) {
          if (bTri && k0 + kb <= jb) break;
          const f64 *pb = packB + (size_t)((jb - jj0) / 4) * kb * 4;
          i32 nr = imin(4, jj1 - jb);
          for (i32 qq = g0; qq < g1; qq++) {
            i32 ib = i0 + (tid + qq * nthreads) * 4;
            if (upper && jb + 4 <= ib) continue;
            if (aTri && k0 + kb <= ib) continue;
            micro_4x4(kb, packA + (size_t)qq * kb * 4, pb, C + (size_t)ib * ldc + jb, ldc, imin(4, i1 - ib), nr, alpha);
          }
        }
      }
    }
  }
}

/* Copies the upper triangle of the n x n matrix S into its lower triangle (threads split rows). */
EXPORT void mirror_upper(i32 tid, i32 nthreads, f64 *S, i32 n) {
  for (i32 i0 = tid * 16; i0 < n; i0 += nthreads * 16) {
    i32 i1 = imin(i0 + 16, n);
    for (i32 j = 0; j < i1; j++)
      for (i32 i = imax(i0, j + 1); i < i1; i++) S[(size_t)i * n + j] = S[(size_t)j * n + i];
  }
}

/* ---------------------------------------------------------------- level-1 helpers
 * Kept out of line on purpose: V8 compiles a wasm function with its baseline compiler first and only
 * switches to the optimising one on a later call, so long loops must live in functions called often. */

NOINLINE static void zero(f64 *x, i32 n) {
  for (i32 i = 0; i < n; i++) x[i] = 0.0;
}
NOINLINE static void copy(f64 *dst, const f64 *src, i32 n) {
  for (i32 i = 0; i < n; i++) dst[i] = src[i];
}
NOINLINE static void scal(f64 *x, f64 a, i32 n) {
  for (i32 i = 0; i < n; i++) x[i] *= a;
}
NOINLINE static void swap(f64 *x, f64 *y, i32 n) {
  for (i32 i = 0; i < n; i++) {
    f64 t = x[i];
    x[i] = y[i];
    y[i] = t;
  }
}
NOINLINE static void sub_squares(f64 *d, const f64 *x, i32 n) {
  for (i32 i = 0; i < n; i++) d[i] -= x[i] * x[i];
}
/* y += a*x + b*z */
NOINLINE static void axpy2(f64 *y, f64 a, const f64 *x, f64 b, const f64 *z, i32 n) {
  i32 i = 0;
  v128_t va = wasm_f64x2_splat(a), vb = wasm_f64x2_splat(b);
  for (; i + 1 < n; i += 2) {
    v128_t t = wasm_f64x2_add(wasm_f64x2_mul(va, wasm_v128_load(x + i)), wasm_f64x2_mul(vb, wasm_v128_load(z + i)));
    wasm_v128_store(y + i, wasm_f64x2_add(wasm_v128_load(y + i), t));
  }
  for (; i < n; i++) y[i] += a * x[i] + b * z[i];
}
NOINLINE static f64 dot(const f64 *x, const f64 *y, i32 n) {
  v128_t acc0 = wasm_f64x2_splat(0.0), acc1 = acc0;
  i32 i = 0;
  for (; i + 3 < n; i += 4) {
    acc0 = wasm_f64x2_add(acc0, wasm_f64x2_mul(wasm_v128_load(x + i), wasm_v128_load(y + i)));
    acc1 = wasm_f64x2_add(acc1, wasm_f64x2_mul(wasm_v128_load(x + i + 2), wasm_v128_load(y + i + 2)));
  }
  acc0 = wasm_f64x2_add(acc0, acc1);
  f64 s = wasm_f64x2_extract_lane(acc0, 0) + wasm_f64x2_extract_lane(acc0, 1);
  for (; i < n; i++) s += x[i] * y[i];
  return s;
}

/* y[r0..n) += A[r0..r1, :] (upper parts) v and the transposed contribution: one pass over 1-4 rows. */
NOINLINE static void symv_group(const f64 *A, i32 n, i32 r0, i32 r1, const f64 *v, f64 *y) {
  for (i32 r = r0; r < r1; r++) {
    const f64 *ar = A + (size_t)r * n;
    f64 acc = ar[r] * v[r];
    for (i32 c = r + 1; c < r1; c++) {
      acc += ar[c] * v[c];
      y[c] += ar[c] * v[r];
    }
    y[r] += acc;
  }
  if (r1 - r0 < 4) {
    for (i32 r = r0; r < r1; r++) {
      const f64 *ar = A + (size_t)r * n;
      y[r] += dot(ar + r1, v + r1, n - r1);
      axpy2(y + r1, v[r], ar + r1, 0.0, ar + r1, n - r1);
    }
    return;
  }
  const f64 *a0 = A + (size_t)r0 * n, *a1 = a0 + n, *a2 = a1 + n, *a3 = a2 + n;
  v128_t s0 = wasm_f64x2_splat(0.0), s1 = s0, s2 = s0, s3 = s0;
  v128_t v0 = wasm_f64x2_splat(v[r0]), v1 = wasm_f64x2_splat(v[r0 + 1]), v2 = wasm_f64x2_splat(v[r0 + 2]),
         v3 = wasm_f64x2_splat(v[r0 + 3]);
  i32 c = r1;
  for (; c + 1 < n; c += 2) {
    v128_t vc = wasm_v128_load(v + c);
    v128_t x0 = wasm_v128_load(a0 + c), x1 = wasm_v128_load(a1 + c), x2 = wasm_v128_load(a2 + c),
           x3 = wasm_v128_load(a3 + c);
    s0 = wasm_f64x2_add(s0, wasm_f64x2_mul(x0, vc));
    s1 = wasm_f64x2_add(s1, wasm_f64x2_mul(x1, vc));
    s2 = wasm_f64x2_add(s2, wasm_f64x2_mul(x2, vc));
    s3 = wasm_f64x2_add(s3, wasm_f64x2_mul(x3, vc));
    v128_t t = wasm_f64x2_add(wasm_f64x2_add(wasm_f64x2_mul(x0, v0), wasm_f64x2_mul(x1, v1)),
                              wasm_f64x2_add(wasm_f64x2_mul(x2, v2), wasm_f64x2_mul(x3, v3)));
    wasm_v128_store(y + c, wasm_f64x2_add(wasm_v128_load(y + c), t));
  }
  f64 t0 = 0, t1 = 0, t2 = 0, t3 = 0;
  for (; c < n; c++) {
    t0 += a0[c] * v[c];
    t1 += a1[c] * v[c];
    t2 += a2[c] * v[c];
    t3 += a3[c] * v[c];
    y[c] += a0[c] * v[r0] + a1[c] * v[r0 + 1] + a2[c] * v[r0 + 2] + a3[c] * v[r0 + 3];
  }
  y[r0] += t0 + wasm_f64x2_extract_lane(s0, 0) + wasm_f64x2_extract_lane(s0, 1);
  y[r0 + 1] += t1 + wasm_f64x2_extract_lane(s1, 0) + wasm_f64x2_extract_lane(s1, 1);
  y[r0 + 2] += t2 + wasm_f64x2_extract_lane(s2, 0) + wasm_f64x2_extract_lane(s2, 1);
  y[r0 + 3] += t3 + wasm_f64x2_extract_lane(s3, 0) + wasm_f64x2_extract_lane(s3, 1);
}

/* ---------------------------------------------------------------- pivoted Cholesky */

static i32 g_rank;

/*
 * Pivoted Cholesky (LAPACK dpstrf's algorithm, by rows): P A P^T = U^T U with U upper (rank x n).
 * A: full symmetric n x n, overwritten (row k of A becomes row k of U for k < rank, below-diagonal garbage).
 * perm: n ints (output). dg: n doubles scratch. tol: stop when the largest remaining pivot <= tol.
 * Returns the rank (on every thread).
 */
EXPORT i32 pivoted_cholesky(i32 tid, i32 nthreads, f64 *A, i32 n, i32 *perm, f64 *dg, f64 tol, i32 nb, f64 *work) {
  if (tid == 0) {
    for (i32 i = 0; i < n; i++) {
      perm[i] = i;
      dg[i] = A[(size_t)i * n + i];
    }
    g_rank = n;
  }
  barrier(nthreads);
  for (i32 k0 = 0; k0 < n; k0 += nb) {
    i32 k1 = imin(k0 + nb, n);
    if (tid == 0) {
      for (i32 k = k0; k < k1; k++) {
        /* pivot */
        i32 q = k;
        f64 best = dg[k];
        for (i32 j = k + 1; j < n; j++)
          if (dg[j] > best) {
            best = dg[j];
            q = j;
          }
        if (!(best > tol)) {
          g_rank = k;
          break;
        }
        if (q != k) {
          f64 *rk = A + (size_t)k * n, *rq = A + (size_t)q * n;
          swap(rk, rq, n);
          for (i32 i = 0; i < n; i++) {
            f64 *r = A + (size_t)i * n;
            f64 t = r[k];
            r[k] = r[q];
            r[q] = t;
          }
          f64 t = dg[k];
          dg[k] = dg[q];
          dg[q] = t;
          i32 ti = perm[k];
          perm[k] = perm[q];
          perm[q] = ti;
        }
        /* row k of U: (A[k,k:] - sum_{i in panel, i<k} U[i,k] U[i,k:]) / U[k,k] */
        f64 *rk = A + (size_t)k * n;
        for (i32 i = k0; i < k; i++) {
          const f64 *ri = A + (size_t)i * n;
          axpy2(rk + k, -ri[k], ri + k, 0.0, ri + k, n - k);
        }
        f64 ukk = __builtin_sqrt(dg[k]);
        rk[k] = ukk;
        f64 inv = 1.0 / ukk;
        scal(rk + k + 1, inv, n - k - 1);
        sub_squares(dg + k + 1, rk + k + 1, n - k - 1);
      }
    }
    barrier(nthreads);
    i32 rank = g_rank;
    if (rank < k1) return rank;
    if (k1 < n) {
      /* trailing update of the full symmetric block: A[k1:,k1:] -= U[k0:kend,k1:]^T U[k0:kend,k1:] */
      gemm_atb(tid, nthreads, A + (size_t)k1 * n + k1, n, A + (size_t)k0 * n + k1, n, A + (size_t)k0 * n + k1, n,
               k1 - k0, 0, n - k1, 0, n - k1, -1.0, 0, 0, 0, work);
    }
    barrier(nthreads);
  }
  return g_rank;
}

/* ---------------------------------------------------------------- tridiagonalisation */

/*
 * Householder reduction of the symmetric n x n matrix A (upper triangle used, destroyed) to tridiagonal
 * form: d[0..n), e[0..n-1) (LAPACK dsytrd's blocked algorithm, dlatrd, written by rows).
 * VW: 4*nb x n scratch (V rows, W rows, then their swapped copy, so the trailing update is one GEMM).
 * ypart: nthreads x n scratch; work: gemm scratch per thread (strided by workStride doubles).
 */
static f64 g_tau;

EXPORT void tridiagonalize(i32 tid, i32 nthreads, f64 *A, i32 n, f64 *d, f64 *e, i32 nb, f64 *VW, f64 *ypart,
                    f64 *work) {
  f64 *V = VW, *W = VW + (size_t)nb * n;
  f64 *y = ypart + (size_t)tid * n;
  for (i32 p = 0; p < n; p += nb) {
    i32 pe = imin(p + nb, n);
    if (tid == 0) zero(VW, 2 * nb * n);
    for (i32 g = p; g < pe; g++) {
      i32 j = g - p;
      if (tid == 0) {
        f64 *rg = A + (size_t)g * n;
        /* 1. bring row g up to date with the panel's reflectors */
        for (i32 k = 0; k < j; k++) {
          const f64 *vk = V + (size_t)k * n, *wk = W + (size_t)k * n;
          axpy2(rg + g, -vk[g], wk + g, -wk[g], vk + g, n - g);
        }
        d[g] = rg[g];
        g_tau = 0.0;
        if (g < n - 1) {
          /* 2. reflector from x = A[g, g+1:] */
          f64 alpha = rg[g + 1], sigma = dot(rg + g + 2, rg + g + 2, n - g - 2);
          f64 *v = V + (size_t)j * n;
          if (sigma == 0.0) {
            e[g] = alpha;
            g_tau = 0.0;
          } else {
            f64 norm = __builtin_sqrt(alpha * alpha + sigma);
            f64 beta = alpha <= 0.0 ? norm : -norm;
            g_tau = (beta - alpha) / beta;
            f64 scale = 1.0 / (alpha - beta);
            v[g + 1] = 1.0;
            copy(v + g + 2, rg + g + 2, n - g - 2);
            scal(v + g + 2, scale, n - g - 2);
            e[g] = beta;
          }
        }
      }
      barrier(nthreads);
      f64 tau = g_tau;
      if (tau != 0.0) {
        /* 3. y = A_stored[g+1:, g+1:] v (upper triangle, rows split in 4-row groups round-robin) */
        const f64 *v = V + (size_t)j * n;
        zero(y + g + 1, n - g - 1);
        for (i32 r0 = g + 1 + tid * 4; r0 < n; r0 += nthreads * 4) symv_group(A, n, r0, imin(r0 + 4, n), v, y);
      }
      barrier(nthreads);
      if (tid == 0 && tau != 0.0) {
        const f64 *v = V + (size_t)j * n;
        f64 *w = W + (size_t)j * n;
        copy(w + g + 1, ypart + g + 1, n - g - 1);
        for (i32 t = 1; t < nthreads; t++) axpy2(w + g + 1, 1.0, ypart + (size_t)t * n + g + 1, 0.0, v, n - g - 1);
        /* minus the panel's pending corrections: sum_k V_k (W_k . v) + W_k (V_k . v) */
        for (i32 k = 0; k < j; k++) {
          const f64 *vk = V + (size_t)k * n, *wk = W + (size_t)k * n;
          f64 wv = dot(wk + g + 1, v + g + 1, n - g - 1), vv = dot(vk + g + 1, v + g + 1, n - g - 1);
          axpy2(w + g + 1, -wv, vk + g + 1, -vv, wk + g + 1, n - g - 1);
        }
        scal(w + g + 1, tau, n - g - 1);
        f64 half = -0.5 * tau * dot(w + g + 1, v + g + 1, n - g - 1);
        axpy2(w + g + 1, half, v + g + 1, 0.0, v + g + 1, n - g - 1);
      }
      barrier(nthreads);
    }
    /* trailing update A[pe:, pe:] -= V^T W + W^T V over the panel (upper tiles only), as one GEMM with
       K = 2nb: A operand [V; W] (contiguous in VW), B operand [W; V] (copied after it) */
    if (pe < n) {
      f64 *WV = VW + (size_t)2 * nb * n;
      if (tid == 0) {
        copy(WV, W, nb * n);
        copy(WV + (size_t)nb * n, V, nb * n);
      }
      barrier(nthreads);
      gemm_atb(tid, nthreads, A + (size_t)pe * n + pe, n, VW + pe, n, WV + pe, n, 2 * nb, 0, n - pe, 0, n - pe, -1.0, 1, 0,
               0, work);
    }
    barrier(nthreads);
  }
}

/* ---------------------------------------------------------------- tridiagonal eigenvalues */

static f64 pythag(f64 a, f64 b) {
  f64 aa = __builtin_fabs(a), ab = __builtin_fabs(b);
  if (aa > ab) {
    f64 r = ab / aa;
    return aa * __builtin_sqrt(1.0 + r * r);
  }
  if (ab == 0.0) return 0.0;
  f64 r = aa / ab;
  return ab * __builtin_sqrt(1.0 + r * r);
}

/*
 * Eigenvalues of the symmetric tridiagonal matrix (d, e) by the implicit QL algorithm with Wilkinson
 * shifts (EISPACK tql1). d is overwritten with the eigenvalues (unsorted); e (length n, e[n-1] ignored)
 * is destroyed. Returns 0, or l+1 when eigenvalue l did not converge in 60 iterations.
 */
EXPORT i32 tridiagonal_eigenvalues(f64 *d, f64 *e, i32 n) {
  if (n <= 1) return 0;
  e[n - 1] = 0.0;
  for (i32 l = 0; l < n; l++) {
    i32 iter = 0;
    i32 m;
    do {
      for (m = l; m < n - 1; m++) {
        f64 dd = __builtin_fabs(d[m]) + __builtin_fabs(d[m + 1]);
        if (__builtin_fabs(e[m]) <= 2.220446049250313e-16 * dd) break;
      }
      if (m != l) {
        if (iter++ == 60) return l + 1;
        f64 g = (d[l + 1] - d[l]) / (2.0 * e[l]);
        f64 r = pythag(g, 1.0);
        g = d[m] - d[l] + e[l] / (g + (g >= 0 ? __builtin_fabs(r) : -__builtin_fabs(r)));
        f64 s = 1.0, c = 1.0, p = 0.0;
        i32 i;
        for (i = m - 1; i >= l; i--) {
          f64 f = s * e[i], b = c * e[i];
          r = pythag(f, g);
          e[i + 1] = r;
          if (r == 0.0) {
            d[i + 1] -= p;
            e[m] = 0.0;
            break;
          }
          s = f / r;
          c = g / r;
          g = d[i + 1] - p;
          r = (d[i] - g) * s + 2.0 * c * b;
          p = s * r;
          d[i + 1] = g + p;
          g = c * r - b;
        }
        if (r == 0.0 && i >= l) continue;
        d[l] -= p;
        e[l] = g;
        e[m] = 0.0;
      }
    } while (m != l);
  }
  return 0;
}

/* ---------------------------------------------------------------- helpers for streaming statistics */

/*
 * Centres the rows of X (m x n) on their mean (written to mean[n]) and, when nPrev > 0, appends one row
 * sqrt(nPrev*m/(nPrev+m)) * (mean - muPrev) at row m, so that one SYRK over m+1 rows adds both the chunk's
 * scatter and Chan et al.'s between-means correction. Returns the number of rows to feed to the SYRK.
 */
EXPORT i32 center_chunk(f64 *X, i32 m, i32 n, f64 *mean, const f64 *muPrev, f64 nPrev) {
  zero(mean, n);
  for (i32 r = 0; r < m; r++) axpy2(mean, 1.0, X + (size_t)r * n, 0.0, mean, n);
  scal(mean, 1.0 / m, n);
  for (i32 r = 0; r < m; r++) axpy2(X + (size_t)r * n, -1.0, mean, 0.0, mean, n);
  if (nPrev <= 0) return m;
  f64 s = __builtin_sqrt(nPrev * (f64)m / (nPrev + (f64)m));
  f64 *x = X + (size_t)m * n;
  for (i32 c = 0; c < n; c++) x[c] = s * (mean[c] - muPrev[c]);
  return m + 1;
}
