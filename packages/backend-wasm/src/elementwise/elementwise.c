/*
 * Element-wise float32 kernels that run directly on tfjs-backend-wasm's own memory (this module imports it):
 * the ones where tfjs-backend-wasm 4.22 is slow on a training step — measured on the 2-core EPYC here, per
 * element: LeakyRelu 5.2 ns, Greater(x, scalar) 4.6 ns, FusedBatchNorm 4.1 ns, Cast bool→float32 ~0.5 ns,
 * Select 2.3 ns, Sqrt/Rsqrt ~4 ns, against ~0.2 ns for its XNNPACK Multiply. SIMD128 loops, ~0.2–0.5 ns.
 *
 * Pointers are byte offsets into tfjs's heap. Nothing here uses the stack or static data, so the module
 * never writes outside the buffers it is given (built by scripts/build-wasm.sh, checked there).
 */
#include <wasm_simd128.h>

typedef unsigned long size_t;

/* out = x > 0 ? x : alpha·x */
__attribute__((export_name("leaky_relu"))) void leaky_relu(const float* x, float* out, size_t n, float alpha) {
  const v128_t a = wasm_f32x4_splat(alpha), zero = wasm_f32x4_splat(0.0f);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t v = wasm_v128_load(x + i);
    wasm_v128_store(out + i, wasm_v128_bitselect(v, wasm_f32x4_mul(v, a), wasm_f32x4_gt(v, zero)));
  }
  for (; i < n; i++) out[i] = x[i] > 0.0f ? x[i] : alpha * x[i];
}

/* out[i] = a[i] > b[i·b_step] (b_step 0: a scalar b), as 0/1 bytes. */
__attribute__((export_name("greater"))) void greater(const float* a, const float* b, size_t b_step, unsigned char* out, size_t n) {
  if (b_step == 0) {
    const float s = b[0];
    for (size_t i = 0; i < n; i++) out[i] = a[i] > s;
  } else {
    for (size_t i = 0; i < n; i++) out[i] = a[i] > b[i];
  }
}

/* out = cond ? t : e (cond: 0/1 bytes) */
__attribute__((export_name("select"))) void select_f32(const unsigned char* cond, const float* t, const float* e, float* out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = cond[i] ? t[i] : e[i];
}

/* out = (float)in for 0/1 bytes */
__attribute__((export_name("bool_to_float"))) void bool_to_float(const unsigned char* in, float* out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = (float)in[i];
}

/* out = sqrt(x), or 1/sqrt(x) when `reciprocal` */
__attribute__((export_name("sqrt_f32"))) void sqrt_f32(const float* x, float* out, size_t n, int reciprocal) {
  size_t i = 0;
  const v128_t one = wasm_f32x4_splat(1.0f);
  if (reciprocal) {
    for (; i + 4 <= n; i += 4) wasm_v128_store(out + i, wasm_f32x4_div(one, wasm_f32x4_sqrt(wasm_v128_load(x + i))));
    for (; i < n; i++) out[i] = 1.0f / __builtin_sqrtf(x[i]);
  } else {
    for (; i + 4 <= n; i += 4) wasm_v128_store(out + i, wasm_f32x4_sqrt(wasm_v128_load(x + i)));
    for (; i < n; i++) out[i] = __builtin_sqrtf(x[i]);
  }
}

/*
 * Batch norm over the last axis of x [rows, c]: out = (x − mean[c])·factor[c] + offset[c], where
 * factor = scale / sqrt(variance + ε) is precomputed by the caller (offset may be 0: none).
 */
__attribute__((export_name("batch_norm"))) void batch_norm(const float* x, const float* mean, const float* factor, const float* offset,
                                                           float* out, size_t rows, size_t c) {
  for (size_t r = 0; r < rows; r++) {
    const float* xr = x + r * c;
    float* orow = out + r * c;
    size_t j = 0;
    for (; j + 4 <= c; j += 4) {
      v128_t v = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(xr + j), wasm_v128_load(mean + j)), wasm_v128_load(factor + j));
      if (offset) v = wasm_f32x4_add(v, wasm_v128_load(offset + j));
      wasm_v128_store(orow + j, v);
    }
    for (; j < c; j++) orow[j] = (xr[j] - mean[j]) * factor[j] + (offset ? offset[j] : 0.0f);
  }
}

/*
 * Column sums of x [rows, inner] accumulated in float64 (acc: `inner` doubles of scratch), four rows per
 * pass; out = sum · scale in float32 (scale 1/rows: the mean). For Sum/Mean over the leading axes of NHWC.
 */
__attribute__((export_name("sum_rows"))) void sum_rows(const float* x, size_t rows, size_t inner, double* acc, float* out, double scale) {
  for (size_t j = 0; j < inner; j++) acc[j] = 0.0;
  size_t r = 0;
  for (; r + 4 <= rows; r += 4) {
    const float* x0 = x + r * inner;
    const float* x1 = x0 + inner;
    const float* x2 = x1 + inner;
    const float* x3 = x2 + inner;
    size_t j = 0;
    for (; j + 2 <= inner; j += 2) {
      v128_t s = wasm_f64x2_add(wasm_f64x2_add(wasm_f64x2_promote_low_f32x4(wasm_v128_load64_zero(x0 + j)), wasm_f64x2_promote_low_f32x4(wasm_v128_load64_zero(x1 + j))),
                                wasm_f64x2_add(wasm_f64x2_promote_low_f32x4(wasm_v128_load64_zero(x2 + j)), wasm_f64x2_promote_low_f32x4(wasm_v128_load64_zero(x3 + j))));
      wasm_v128_store(acc + j, wasm_f64x2_add(wasm_v128_load(acc + j), s));
    }
    for (; j < inner; j++) acc[j] += ((double)x0[j] + (double)x1[j]) + ((double)x2[j] + (double)x3[j]);
  }
  for (; r < rows; r++) {
    const float* row = x + r * inner;
    for (size_t j = 0; j < inner; j++) acc[j] += (double)row[j];
  }
  for (size_t j = 0; j < inner; j++) out[j] = (float)(acc[j] * scale);
}
