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

/* acc(MR×NR) = Ap(kc×MR panel) · Bp(kc×NR panel); C += acc (or only its rows < m, cols < n, via `tile`). */
static void micro_kernel(int kc, const float* restrict a, const float* restrict b, float* restrict c, int ldc,
                         int m, int n, float* restrict tile) {
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
    for (int j = 0; j < n; j++) c[(size_t)i * ldc + j] += tile[i * NR + j];
}

/* Packs rows [0, mc) × depth [0, kc) of A (element (i, p) at a[i*rs + p*cs]) into MR-row panels, zero-padded. */
static void pack_a(int mc, int kc, const float* a, size_t rs, size_t cs, float* restrict out) {
  for (int i0 = 0; i0 < mc; i0 += MR) {
    int rows = mc - i0 < MR ? mc - i0 : MR;
    const float* src = a + (size_t)i0 * rs;
    if (rows == MR && cs == 1) {
      for (int p = 0; p < kc; p++) {
        out[0] = src[p];
        out[1] = src[rs + p];
        out[2] = src[2 * rs + p];
        out[3] = src[3 * rs + p];
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
 * C (M×N, row stride ldc) = A·B, or C += A·B when `accumulate`. A(i, p) = a[i*rsa + p*csa],
 * B(p, j) = b[p*rsb + j*csb]. `work`: sgemm_scratch_bytes() bytes, 16-byte aligned.
 */
__attribute__((export_name("sgemm"))) void sgemm(int M, int N, int K, const float* a, size_t rsa, size_t csa,
                                                 const float* b, size_t rsb, size_t csb, float* c, int ldc,
                                                 int accumulate, float* work) {
  if (!accumulate)
    for (int i = 0; i < M; i++) zero(c + (size_t)i * ldc, (size_t)N);
  float* ap = work;
  float* bp = work + MC * KC;
  for (int jc = 0; jc < N; jc += NC) {
    int nc = N - jc < NC ? N - jc : NC;
    for (int pc = 0; pc < K; pc += KC) {
      int kc = K - pc < KC ? K - pc : KC;
      pack_b(kc, nc, b + (size_t)pc * rsb + (size_t)jc * csb, rsb, csb, bp);
      for (int ic = 0; ic < M; ic += MC) {
        int mc = M - ic < MC ? M - ic : MC;
        pack_a(mc, kc, a + (size_t)ic * rsa + (size_t)pc * csa, rsa, csa, ap);
        for (int jr = 0; jr < nc; jr += NR) {
          int n = nc - jr < NR ? nc - jr : NR;
          for (int ir = 0; ir < mc; ir += MR) {
            int m = mc - ir < MR ? mc - ir : MR;
            micro_kernel(kc, ap + (size_t)ir * kc, bp + (size_t)jr * kc, c + (size_t)(ic + ir) * ldc + jc + jr, ldc,
                         m, n, bp + KC * NC);
          }
        }
      }
    }
  }
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

/* y[r][c] = act(y[r][c] + bias[c]) over rows × cols; act: 0 linear, 1 relu, 2 relu6, 3 leaky relu (alpha). */
__attribute__((export_name("bias_activation"))) void bias_activation(float* y, int rows, int cols, const float* bias,
                                                                     int act, float alpha) {
  for (int r = 0; r < rows; r++) {
    float* row = y + (size_t)r * cols;
    for (int c = 0; c < cols; c++) {
      float v = row[c] + (bias ? bias[c] : 0.0f);
      if (act == 1) v = v > 0.0f ? v : 0.0f;
      else if (act == 2) v = v > 0.0f ? (v < 6.0f ? v : 6.0f) : 0.0f;
      else if (act == 3) v = v > 0.0f ? v : alpha * v;
      row[c] = v;
    }
  }
}
