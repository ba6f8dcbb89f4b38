/*
 * gankit's float32 GEMM and im2col/col2im for convolutions on the wasm backend (WebAssembly SIMD128).
 *
 * Why not XNNPACK (which tfjs-backend-wasm uses): V8 (Node 20) allocates fewer xmm registers to wasm than
 * XNNPACK's 6×8 / 4×8 wasm micro-kernels assume, so their accumulators spill to the stack every iteration.
 * A 4×8 micro-kernel (8 accumulators + 2 B vectors + 1 broadcast) stays in registers: on the 2-core EPYC
 * here a 1024³ product runs at ~40 GFLOP/s (mul + add) and ~50 GFLOP/s (relaxed-SIMD fused multiply-add),
 * against ~29 GFLOP/s for tfjs-backend-wasm's MatMul (bench/kernels). Built by scripts/build-wasm.sh.
 *
 * Layouts: row-major with explicit strides, so transposed operands cost nothing beyond the packing.
 * Images are NHWC, filters HWIO (K = KH·KW·Ci rows × Co columns), as in TensorFlow.js.
 */
#include <wasm_simd128.h>

typedef unsigned long size_t;

#ifdef GANKIT_FMA
#define MADD(a, b, c) __builtin_wasm_relaxed_madd_f32x4(a, b, c)
#else
#define MADD(a, b, c) wasm_f32x4_add(wasm_f32x4_mul(a, b), c)
#endif

#define MR 4
#define NR 8
#define KC 256
#define MC 128
#define NC 1024

static void zero(float* p, size_t n) {
  for (size_t i = 0; i < n; i++) p[i] = 0.0f;
}

/*
 * acc(MR×NR) = Ap(kc×MR panel) · Bp(kc×NR panel); C += acc (or only its rows < m, cols < n, via `tile`).
 * `first`: C is not read but set to 0 + acc (what zeroing C and adding gives, without the zeroing pass).
 */
static void micro_kernel(int kc, const float* restrict a, const float* restrict b, float* restrict c, int ldc,
                         int m, int n, float* restrict tile, int first) {
  v128_t a00 = wasm_f32x4_splat(0.0f), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
  for (int p = 0; p < kc; p++) {
    v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4);
    v128_t x0 = wasm_v128_load32_splat(a + 0);
    a00 = MADD(x0, b0, a00);
    a01 = MADD(x0, b1, a01);
    v128_t x1 = wasm_v128_load32_splat(a + 1);
    a10 = MADD(x1, b0, a10);
    a11 = MADD(x1, b1, a11);
    v128_t x2 = wasm_v128_load32_splat(a + 2);
    a20 = MADD(x2, b0, a20);
    a21 = MADD(x2, b1, a21);
    v128_t x3 = wasm_v128_load32_splat(a + 3);
    a30 = MADD(x3, b0, a30);
    a31 = MADD(x3, b1, a31);
    a += MR;
    b += NR;
  }
  if (m == MR && n == NR) {
    float* r = c;
    if (first) {
      const v128_t z = wasm_f32x4_splat(0.0f);
      wasm_v128_store(r, wasm_f32x4_add(z, a00));
      wasm_v128_store(r + 4, wasm_f32x4_add(z, a01));
      r += ldc;
      wasm_v128_store(r, wasm_f32x4_add(z, a10));
      wasm_v128_store(r + 4, wasm_f32x4_add(z, a11));
      r += ldc;
      wasm_v128_store(r, wasm_f32x4_add(z, a20));
      wasm_v128_store(r + 4, wasm_f32x4_add(z, a21));
      r += ldc;
      wasm_v128_store(r, wasm_f32x4_add(z, a30));
      wasm_v128_store(r + 4, wasm_f32x4_add(z, a31));
      return;
    }
    wasm_v128_store(r, wasm_f32x4_add(wasm_v128_load(r), a00));
    wasm_v128_store(r + 4, wasm_f32x4_add(wasm_v128_load(r + 4), a01));
    r += ldc;
    wasm_v128_store(r, wasm_f32x4_add(wasm_v128_load(r), a10));
    wasm_v128_store(r + 4, wasm_f32x4_add(wasm_v128_load(r + 4), a11));
    r += ldc;
    wasm_v128_store(r, wasm_f32x4_add(wasm_v128_load(r), a20));
    wasm_v128_store(r + 4, wasm_f32x4_add(wasm_v128_load(r + 4), a21));
    r += ldc;
    wasm_v128_store(r, wasm_f32x4_add(wasm_v128_load(r), a30));
    wasm_v128_store(r + 4, wasm_f32x4_add(wasm_v128_load(r + 4), a31));
    return;
  }
  wasm_v128_store(tile + 0, a00);
  wasm_v128_store(tile + 4, a01);
  wasm_v128_store(tile + 8, a10);
  wasm_v128_store(tile + 12, a11);
  wasm_v128_store(tile + 16, a20);
  wasm_v128_store(tile + 20, a21);
  wasm_v128_store(tile + 24, a30);
  wasm_v128_store(tile + 28, a31);
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++) {
      float* x = c + (size_t)i * ldc + j;
      *x = (first ? 0.0f : *x) + tile[i * NR + j];
    }
}

/* One element of the epilogue: act(v + bias); act: 0 linear, 1 relu, 2 relu6, 3 leaky relu (alpha). */
static inline float epilogue_scalar(float v, int act, float alpha) {
  if (act == 1) return v > 0.0f ? v : 0.0f;
  if (act == 2) return v > 0.0f ? (v < 6.0f ? v : 6.0f) : 0.0f;
  if (act == 3) return v > 0.0f ? v : alpha * v;
  return v;
}

/* The same on 4 lanes, lane for lane the same result (compare + select, no min/max). */
static inline v128_t epilogue_vector(v128_t v, int act, v128_t alpha) {
  const v128_t zero = wasm_f32x4_splat(0.0f);
  if (act == 1) return wasm_v128_bitselect(v, zero, wasm_f32x4_gt(v, zero));
  if (act == 2) {
    const v128_t six = wasm_f32x4_splat(6.0f);
    v128_t capped = wasm_v128_bitselect(v, six, wasm_f32x4_lt(v, six));
    return wasm_v128_bitselect(capped, zero, wasm_f32x4_gt(v, zero));
  }
  if (act == 3) return wasm_v128_bitselect(v, wasm_f32x4_mul(alpha, v), wasm_f32x4_gt(v, zero));
  return v;
}

/* row[0..n) = act(row + bias[0..n)) (bias may be null). */
static void epilogue_row(float* restrict row, const float* restrict bias, int n, int act, float alpha) {
  const v128_t va = wasm_f32x4_splat(alpha);
  int j = 0;
  for (; j + 4 <= n; j += 4) {
    v128_t v = wasm_v128_load(row + j);
    if (bias) v = wasm_f32x4_add(v, wasm_v128_load(bias + j));
    wasm_v128_store(row + j, epilogue_vector(v, act, va));
  }
  for (; j < n; j++) row[j] = epilogue_scalar(row[j] + (bias ? bias[j] : 0.0f), act, alpha);
}

/* Packs rows [0, mc) × depth [0, kc) of A (element (i, p) at a[i*rs + p*cs]) into MR-row panels, zero-padded. */
static void pack_a(int mc, int kc, const float* a, size_t rs, size_t cs, float* restrict out) {
  for (int i0 = 0; i0 < mc; i0 += MR) {
    int rows = mc - i0 < MR ? mc - i0 : MR;
    const float* src = a + (size_t)i0 * rs;
    if (rows == MR && cs == 1) {
      /* 4 rows × 4 depths at a time: four loads, a 4×4 transpose in registers, four stores */
      const float *s0 = src, *s1 = src + rs, *s2 = src + 2 * rs, *s3 = src + 3 * rs;
      int p = 0;
      for (; p + 4 <= kc; p += 4) {
        v128_t r0 = wasm_v128_load(s0 + p), r1 = wasm_v128_load(s1 + p), r2 = wasm_v128_load(s2 + p), r3 = wasm_v128_load(s3 + p);
        v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
        v128_t t2 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
        wasm_v128_store(out, wasm_i64x2_shuffle(t0, t2, 0, 2));
        wasm_v128_store(out + 4, wasm_i64x2_shuffle(t0, t2, 1, 3));
        wasm_v128_store(out + 8, wasm_i64x2_shuffle(t1, t3, 0, 2));
        wasm_v128_store(out + 12, wasm_i64x2_shuffle(t1, t3, 1, 3));
        out += 4 * MR;
      }
      for (; p < kc; p++) {
        out[0] = s0[p];
        out[1] = s1[p];
        out[2] = s2[p];
        out[3] = s3[p];
        out += MR;
      }
    } else if (rows == MR && rs == 1) {
      for (int p = 0; p < kc; p++) {
        wasm_v128_store(out, wasm_v128_load(src + (size_t)p * cs));
        out += MR;
      }
    } else {
      for (int p = 0; p < kc; p++) {
        for (int i = 0; i < MR; i++) out[i] = i < rows ? src[(size_t)i * rs + (size_t)p * cs] : 0.0f;
        out += MR;
      }
    }
  }
}

/* Packs depth [0, kc) × columns [0, nc) of B (element (p, j) at b[p*rs + j*cs]) into NR-column panels. */
static void pack_b(int kc, int nc, const float* b, size_t rs, size_t cs, float* restrict out) {
  for (int j0 = 0; j0 < nc; j0 += NR) {
    int cols = nc - j0 < NR ? nc - j0 : NR;
    const float* src = b + (size_t)j0 * cs;
    if (cols == NR && cs == 1) {
      for (int p = 0; p < kc; p++) {
        const float* row = src + (size_t)p * rs;
        wasm_v128_store(out, wasm_v128_load(row));
        wasm_v128_store(out + 4, wasm_v128_load(row + 4));
        out += NR;
      }
    } else {
      for (int p = 0; p < kc; p++) {
        for (int j = 0; j < NR; j++) out[j] = j < cols ? src[(size_t)p * rs + (size_t)j * cs] : 0.0f;
        out += NR;
      }
    }
  }
}

/* Bytes of packing scratch `sgemm` needs. */
__attribute__((export_name("sgemm_scratch_bytes"))) size_t sgemm_scratch_bytes(void) {
  return (size_t)(MC * KC + KC * NC + MR * NR) * sizeof(float);
}

/*
 * C (M×N, row stride ldc) = A·B, or C += A·B when `accumulate`, then, when `bias` or `act` is set, C = act(C + bias)
 * (bias: N floats per column; act: 0 linear, 1 relu, 2 relu6, 3 leaky relu with `alpha`), applied to each tile right after its last depth block
 * while it is in cache. A(i, p) = a[i*rsa + p*csa], B(p, j) = b[p*rsb + j*csb].
 * `work`: sgemm_scratch_bytes() bytes, 16-byte aligned.
 */
__attribute__((export_name("sgemm_epilogue"))) void sgemm_epilogue(int M, int N, int K, const float* a, size_t rsa,
                                                                   size_t csa, const float* b, size_t rsb, size_t csb,
                                                                   float* c, int ldc, int accumulate, float* work,
                                                                   const float* bias, int act, float alpha) {
  const int epilogue = bias != 0 || act != 0;
  if (K == 0) {
    for (int i = 0; i < M; i++) {
      if (!accumulate) zero(c + (size_t)i * ldc, (size_t)N);
      if (epilogue) epilogue_row(c + (size_t)i * ldc, bias, N, act, alpha);
    }
    return;
  }
  float* ap = work;
  float* bp = work + MC * KC;
  for (int jc = 0; jc < N; jc += NC) {
    int nc = N - jc < NC ? N - jc : NC;
    for (int pc = 0; pc < K; pc += KC) {
      int kc = K - pc < KC ? K - pc : KC;
      int first = pc == 0 && !accumulate;
      int last = pc + kc >= K;
      pack_b(kc, nc, b + (size_t)pc * rsb + (size_t)jc * csb, rsb, csb, bp);
      for (int ic = 0; ic < M; ic += MC) {
        int mc = M - ic < MC ? M - ic : MC;
        pack_a(mc, kc, a + (size_t)ic * rsa + (size_t)pc * csa, rsa, csa, ap);
        for (int jr = 0; jr < nc; jr += NR) {
          int n = nc - jr < NR ? nc - jr : NR;
          for (int ir = 0; ir < mc; ir += MR) {
            int m = mc - ir < MR ? mc - ir : MR;
            float* ct = c + (size_t)(ic + ir) * ldc + jc + jr;
            micro_kernel(kc, ap + (size_t)ir * kc, bp + (size_t)jr * kc, ct, ldc, m, n, bp + KC * NC, first);
            if (last && epilogue)
              for (int i = 0; i < m; i++) epilogue_row(ct + (size_t)i * ldc, bias ? bias + jc + jr : 0, n, act, alpha);
          }
        }
      }
    }
  }
}

/* C (M×N, row stride ldc) = A·B, or C += A·B when `accumulate` (sgemm_epilogue without an epilogue). */
__attribute__((export_name("sgemm"))) void sgemm(int M, int N, int K, const float* a, size_t rsa, size_t csa,
                                                 const float* b, size_t rsb, size_t csb, float* c, int ldc,
                                                 int accumulate, float* work) {
  sgemm_epilogue(M, N, K, a, rsa, csa, b, rsb, csb, c, ldc, accumulate, work, 0, 0, 0.0f);
}

/* Convolution geometry, filled by the caller (int32 fields, in this order). */
typedef struct {
  int batch, in_h, in_w, in_c;
  int k_h, k_w, out_c;
  int out_h, out_w;
  int stride_h, stride_w, pad_top, pad_left, dil_h, dil_w;
} conv_geometry;

static void copy_floats(float* restrict dst, const float* restrict src, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(dst + i, wasm_v128_load(src + i));
  for (; i < n; i++) dst[i] = src[i];
}

static void add_floats(float* restrict dst, const float* restrict src, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(dst + i, wasm_f32x4_add(wasm_v128_load(dst + i), wasm_v128_load(src + i)));
  for (; i < n; i++) dst[i] += src[i];
}

/*
 * col[(n·OH + oy)·OW + ox][(ky·KW + kx)·Ci + ci] = x[n, oy·sh − pt + ky·dh, ox·sw − pl + kx·dw, ci] (0 outside),
 * for the images n in [n0, n1) (threads take disjoint ranges).
 */
__attribute__((export_name("im2col"))) void im2col(const conv_geometry* g, const float* x, float* col, int n0, int n1) {
  const int ci = g->in_c, kw = g->k_w;
  const size_t k = (size_t)g->k_h * kw * ci;
  for (int n = n0; n < n1; n++)
    for (int oy = 0; oy < g->out_h; oy++)
      for (int ox = 0; ox < g->out_w; ox++) {
        float* row = col + (((size_t)n * g->out_h + oy) * g->out_w + ox) * k;
        for (int ky = 0; ky < g->k_h; ky++) {
          int iy = oy * g->stride_h - g->pad_top + ky * g->dil_h;
          for (int kx = 0; kx < kw; kx++) {
            int ix = ox * g->stride_w - g->pad_left + kx * g->dil_w;
            float* dst = row + (size_t)(ky * kw + kx) * ci;
            if (iy < 0 || iy >= g->in_h || ix < 0 || ix >= g->in_w) zero(dst, (size_t)ci);
            else copy_floats(dst, x + (((size_t)n * g->in_h + iy) * g->in_w + ix) * ci, ci);
          }
        }
      }
}

/* The adjoint of im2col for images [n0, n1): dx = 0, then dx[n, iy, ix, ci] += col[m][(ky·KW + kx)·Ci + ci]. */
__attribute__((export_name("col2im"))) void col2im(const conv_geometry* g, const float* col, float* dx, int n0, int n1) {
  const int ci = g->in_c, kw = g->k_w;
  const size_t k = (size_t)g->k_h * kw * ci;
  const size_t image = (size_t)g->in_h * g->in_w * ci;
  zero(dx + (size_t)n0 * image, (size_t)(n1 - n0) * image);
  for (int n = n0; n < n1; n++)
    for (int oy = 0; oy < g->out_h; oy++)
      for (int ox = 0; ox < g->out_w; ox++) {
        const float* row = col + (((size_t)n * g->out_h + oy) * g->out_w + ox) * k;
        for (int ky = 0; ky < g->k_h; ky++) {
          int iy = oy * g->stride_h - g->pad_top + ky * g->dil_h;
          if (iy < 0 || iy >= g->in_h) continue;
          for (int kx = 0; kx < kw; kx++) {
            int ix = ox * g->stride_w - g->pad_left + kx * g->dil_w;
            if (ix < 0 || ix >= g->in_w) continue;
            add_floats(dx + (((size_t)n * g->in_h + iy) * g->in_w + ix) * ci, row + (size_t)(ky * kw + kx) * ci, ci);
          }
        }
      }
}
