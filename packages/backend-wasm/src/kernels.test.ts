import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GanKitError } from '@gankit/core';
import { configureWasm, registerWasmTrainingKernels, type TransposedConvStrategy, type WasmConvEngine } from './node';
import { normalValues, relativeMaxError, startBothBackends, valuesOn } from './test-utils';

type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;

const TOLERANCE = 2e-5;
const PADS: Pad[] = [
  'same',
  'valid',
  1,
  [
    [0, 0],
    [1, 2],
    [2, 0],
    [0, 0],
  ],
];

interface ConvCase {
  batch: number;
  height: number;
  width: number;
  inC: number;
  outC: number;
  kernel: number;
  strides: [number, number];
  pad: Pad;
}

function convCases(): ConvCase[] {
  const cases: ConvCase[] = [];
  let i = 0;
  for (const size of [5, 8]) {
    for (const kernel of [1, 2, 3, 4, 5]) {
      for (const strides of [[1, 1], [2, 2], [1, 2]] as [number, number][]) {
        for (const pad of PADS) {
          i++;
          cases.push({ batch: (i % 4) + 1, height: size, width: size + (i % 2), inC: [1, 3, 16][i % 3] ?? 1, outC: 2 + (i % 2), kernel, strides, pad });
        }
      }
    }
  }
  return cases;
}

function label(c: ConvCase): string {
  return `x[${c.batch},${c.height},${c.width},${c.inC}] k${c.kernel} s${c.strides.join('x')} pad ${JSON.stringify(c.pad)}`;
}

function forwardOutShape(c: ConvCase): number[] {
  const info = tf.backend_util.computeConv2DInfo([c.batch, c.height, c.width, c.inC], [c.kernel, c.kernel, c.inC, c.outC], c.strides, 1, c.pad);
  return info.outShape;
}

async function agree(compute: () => tf.Tensor | tf.Tensor[]): Promise<number> {
  const [cpu, wasm] = [await valuesOn('cpu', compute), await valuesOn('wasm', compute)];
  return Math.max(...cpu.map((expected, i) => relativeMaxError(wasm[i] ?? new Float32Array(), expected)));
}

/**
 * Depthwise backprops straight from the definition `y[b,o,c·M+m] = Σ_k x[b, o·s + k·d − p, c] · w[k, c, m]`.
 * Used where tfjs-backend-cpu is no reference: its depthwise backprops ignore dilations (tfjs-core never asks
 * for them, its depthwise gradient rejects dilation > 1).
 */
function naiveDepthwiseBackprops(info: tf.backend_util.Conv2DInfo, x: Float32Array, w: Float32Array, dy: Float32Array): { dx: Float32Array; dw: Float32Array } {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = info;
  const mult = outChannels / inChannels;
  const dx = new Float32Array(x.length);
  const dw = new Float32Array(w.length);
  for (let b = 0; b < batchSize; b++)
    for (let oh = 0; oh < outHeight; oh++)
      for (let ow = 0; ow < outWidth; ow++)
        for (let kh = 0; kh < filterHeight; kh++)
          for (let kw = 0; kw < filterWidth; kw++) {
            const ih = oh * info.strideHeight + kh * info.dilationHeight - info.padInfo.top;
            const iw = ow * info.strideWidth + kw * info.dilationWidth - info.padInfo.left;
            if (ih < 0 || ih >= inHeight || iw < 0 || iw >= inWidth) continue;
            for (let c = 0; c < inChannels; c++)
              for (let m = 0; m < mult; m++) {
                const g = dy[((b * outHeight + oh) * outWidth + ow) * outChannels + c * mult + m]!;
                const xi = ((b * inHeight + ih) * inWidth + iw) * inChannels + c;
                const wi = ((kh * filterWidth + kw) * inChannels + c) * mult + m;
                dx[xi]! += g * w[wi]!;
                dw[wi]! += g * x[xi]!;
              }
          }
  return { dx, dw };
}

beforeAll(async () => {
  await startBothBackends();
});

describe('registerWasmTrainingKernels', () => {
  it('registers the conv backprops, UnsortedSegmentSum and the faster Tile/matmuls/reductions, idempotently', () => {
    const names = registerWasmTrainingKernels();
    expect(names).toEqual([
      'Conv2D',
      'FusedConv2D',
      'Conv2DBackpropFilter',
      'Conv2DBackpropInput',
      'DepthwiseConv2dNativeBackpropFilter',
      'DepthwiseConv2dNativeBackpropInput',
      'UnsortedSegmentSum',
      'Tile',
      'BatchMatMul',
      '_FusedMatMul',
      'Sum',
      'Mean',
      'Identity',
      'LeakyRelu',
      'Greater',
      'Select',
      'Cast',
      'Sqrt',
      'Rsqrt',
      'FusedBatchNorm',
    ]);
    expect(registerWasmTrainingKernels()).toEqual(names);
  });
});

describe('configureWasm', () => {
  it("switches Conv2DBackpropInput to wasm's own kernel and back; both agree", async () => {
    const dy = normalValues(51, 2 * 4 * 4 * 6);
    const filter = normalValues(52, 5 * 5 * 3 * 6);
    const compute = (): tf.Tensor => tf.conv2dTranspose(tf.tensor4d(dy, [2, 4, 4, 6]), tf.tensor4d(filter, [5, 5, 3, 6]), [2, 8, 8, 3], 2, 'same');
    await configureWasm({ kernels: { Conv2DBackpropInput: 'stock' } });
    const [stock] = await valuesOn('wasm', compute);
    await configureWasm({ kernels: { Conv2DBackpropInput: 'gankit' } });
    const [ours] = await valuesOn('wasm', compute);
    expect(relativeMaxError(ours!, stock!)).toBeLessThan(TOLERANCE);
    expect(registerWasmTrainingKernels()).toContain('Conv2DBackpropInput');
  });

  it('gives bit-identical convolutions and gradients on 1 and 3 threads (threads split rows; sums keep their order)', async () => {
    const xShape: [number, number, number, number] = [6, 14, 14, 32];
    const filterShape: [number, number, number, number] = [4, 4, 32, 48];
    const [x, filter] = [normalValues(130, 6 * 14 * 14 * 32), normalValues(131, 4 * 4 * 32 * 48)];
    const compute = (): tf.Tensor[] => {
      const f = (a: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')));
      return tf.grads(f)([tf.tensor4d(x, xShape), tf.tensor4d(filter, filterShape)]).concat(tf.conv2d(tf.tensor4d(x, xShape), tf.tensor4d(filter, filterShape), 2, 'same'));
    };
    expect((await configureWasm({ threads: 1 })).threads).toBe(1);
    const one = await valuesOn('wasm', compute);
    expect((await configureWasm({ threads: 3 })).threads).toBe(3);
    const three = await valuesOn('wasm', compute);
    await configureWasm({ threads: 1 });
    expect(three.map((v) => Array.from(v))).toEqual(one.map((v) => Array.from(v)));
  });

  it('rejects a conv thread count that is not a positive integer with INVALID_ARGUMENT', async () => {
    for (const bad of [0, 1.5, -2, Number.NaN]) await expect(configureWasm({ threads: bad })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('rejects a kernel gankit did not replace, naming the ones it did, and an unknown conv engine', async () => {
    await expect(configureWasm({ kernels: { Relu: 'stock' } })).rejects.toSatisfy(
      (e: unknown) => GanKitError.isInstance(e) && e.code === 'INVALID_ARGUMENT' && /kernels\.Relu must be one of the kernels gankit replaces \(Conv2D, FusedConv2D, Conv2DBackpropInput,/.test(e.message),
    );
    // @ts-expect-error: a bad value from untyped input
    await expect(configureWasm({ convEngine: 'cudnn' })).rejects.toThrow(/convEngine must be "gemm" or "xnnpack", got "cudnn"/);
  });

  it('reports what it resolved to: threads, relaxed SIMD, the Node platform with shared memory', async () => {
    const config = await configureWasm({ threads: 2 });
    expect(config).toMatchObject({ threads: 2, platform: 'node', sharedMemory: true, convEngine: 'gemm', relaxedSimd: true });
    expect(typeof config.fma).toBe('boolean');
    await configureWasm({ threads: 1 });
  });
});

const ENGINES: { engine: WasmConvEngine; strategy: TransposedConvStrategy; threads: number; name: string }[] = [
  { engine: 'gemm', strategy: 'auto', threads: 1, name: "gankit's im2col + GEMM" },
  { engine: 'gemm', strategy: 'auto', threads: 3, name: "gankit's im2col + GEMM on 3 threads" },
  { engine: 'xnnpack', strategy: 'auto', threads: 1, name: 'XNNPACK, auto sub-pixel decomposition' },
  { engine: 'xnnpack', strategy: 'per-phase', threads: 1, name: 'XNNPACK, per-phase sub-pixel decomposition' },
  { engine: 'xnnpack', strategy: 'stacked', threads: 1, name: 'XNNPACK, stacked sub-pixel decomposition' },
];

describe.each(ENGINES)('Conv2D, FusedConv2D, Conv2DBackpropInput and Conv2DBackpropFilter on wasm ($name) agree with cpu', ({ engine, strategy, threads }) => {
  const cases = convCases();
  beforeAll(async () => {
    await configureWasm({ convEngine: engine, transposedConv: strategy });
    expect((await configureWasm({ threads: threads })).threads).toBe(threads);
  });
  afterAll(async () => {
    await configureWasm({ convEngine: 'gemm', transposedConv: 'auto' });
    await configureWasm({ threads: 1 });
  });
  it(`over ${cases.length} shapes (batch 1–4, sizes 5–9, 1–16 channels, kernels 1–5, strides 1–2, same/valid/number/explicit pads)`, async () => {
    const failures: string[] = [];
    for (const [n, c] of cases.entries()) {
      const xShape = [c.batch, c.height, c.width, c.inC];
      const filterShape = [c.kernel, c.kernel, c.inC, c.outC];
      const dyShape = forwardOutShape(c);
      const x = normalValues(3 * n, tf.util.sizeFromShape(xShape));
      const filter = normalValues(3 * n + 1, tf.util.sizeFromShape(filterShape));
      const dy = normalValues(3 * n + 2, tf.util.sizeFromShape(dyShape));
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
      const inputError = await agree(() =>
        tf.engine().runKernel<tf.Tensor>(tf.Conv2DBackpropInput, { dy: tf.tensor(dy, dyShape), filter: tf.tensor(filter, filterShape) }, { ...attrs, inputShape: xShape } as unknown as tf.NamedAttrMap),
      );
      const filterError = await agree(() =>
        tf.engine().runKernel<tf.Tensor>(tf.Conv2DBackpropFilter, { x: tf.tensor(x, xShape), dy: tf.tensor(dy, dyShape) }, { ...attrs, filterShape } as unknown as tf.NamedAttrMap),
      );
      // With the xnnpack engine Conv2D is wasm's own kernel, which is wrong for a numeric pad with unequal
      // strides (error ≈ 1.2 here, tfjs-backend-wasm 4.22): only gankit's forward conv is checked.
      const forwardError = engine === 'gemm' ? await agree(() =>
        tf.engine().runKernel<tf.Tensor>(tf.Conv2D, { x: tf.tensor(x, xShape), filter: tf.tensor(filter, filterShape) }, { ...attrs, dilations: 1 } as unknown as tf.NamedAttrMap),
      ) : 0;
      if (!(forwardError <= TOLERANCE)) failures.push(`${label(c)}: Conv2D error ${forwardError}`);
      if (!(inputError <= TOLERANCE)) failures.push(`${label(c)}: Conv2DBackpropInput error ${inputError}`);
      if (!(filterError <= TOLERANCE)) failures.push(`${label(c)}: Conv2DBackpropFilter error ${filterError}`);
    }
    expect(failures).toEqual([]);
  });

  // wasm's own Conv2D fails the 1×2-dilation case with pad 1 (tfjs-backend-wasm 4.22).
  it.runIf(engine === 'gemm')('Conv2D with dilations 2 and 1×2 agrees with cpu', async () => {
    const failures: string[] = [];
    for (const [n, dilations] of ([[2, 2], [1, 2]] as [number, number][]).entries()) {
      for (const pad of ['same', 'valid', 1] as Pad[]) {
        const xShape = [2, 9, 8, 3];
        const filterShape = [3, 3, 3, 5];
        const x = normalValues(70 + n, tf.util.sizeFromShape(xShape));
        const filter = normalValues(80 + n, tf.util.sizeFromShape(filterShape));
        const error = await agree(() => tf.conv2d(tf.tensor4d(x, xShape as [number, number, number, number]), tf.tensor4d(filter, filterShape as [number, number, number, number]), 1, pad, 'NHWC', dilations));
        if (!(error <= TOLERANCE)) failures.push(`dilations ${dilations.join('x')} pad ${JSON.stringify(pad)}: error ${error}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it.each(['linear', 'relu', 'relu6', 'leakyrelu', 'elu', 'prelu'] as const)('FusedConv2D with bias and %s agrees with cpu', async (activation) => {
    const xShape: [number, number, number, number] = [3, 7, 6, 4];
    const filterShape: [number, number, number, number] = [4, 4, 4, 6];
    const [x, filter, bias, alpha] = [normalValues(90, 3 * 7 * 6 * 4), normalValues(91, 4 * 4 * 4 * 6), normalValues(92, 6), normalValues(93, 6)];
    const error = await agree(() =>
      tf.fused.conv2d({
        x: tf.tensor4d(x, xShape),
        filter: tf.tensor4d(filter, filterShape),
        strides: 2,
        pad: 'same',
        bias: tf.tensor1d(bias),
        activation,
        leakyreluAlpha: 0.2,
        ...(activation === 'prelu' ? { preluActivationWeights: tf.tensor1d(alpha) } : {}),
      }),
    );
    expect(error).toBeLessThan(TOLERANCE);
  });

  it.runIf(engine === 'gemm')('Conv2D and both backprops agree with cpu where the GEMM crosses its 128-row, 256-deep and 1024-column blocks', async () => {
    // A 1×1 conv is a plain matrix product: checked against cpu's matMul (cpu's conv takes ~15 s at this size).
    const [m, k, n] = [144, 260, 1030];
    const [x, filter, dy] = [normalValues(100, m * k), normalValues(101, k * n), normalValues(102, m * n)];
    const image = [1, 12, 12, k] as [number, number, number, number];
    const pointwise = [1, 1, k, n] as [number, number, number, number];
    const outShape = [1, 12, 12, n] as [number, number, number, number];
    const pairs: [() => tf.Tensor, () => tf.Tensor][] = [
      [() => tf.conv2d(tf.tensor4d(x, image), tf.tensor4d(filter, pointwise), 1, 'valid'), () => tf.matMul(tf.tensor2d(x, [m, k]), tf.tensor2d(filter, [k, n]))],
      [() => tf.conv2dTranspose(tf.tensor4d(dy, outShape), tf.tensor4d(filter, pointwise), image, 1, 'valid'), () => tf.matMul(tf.tensor2d(dy, [m, n]), tf.tensor2d(filter, [k, n]), false, true)],
      [
        () => tf.engine().runKernel<tf.Tensor>(tf.Conv2DBackpropFilter, { x: tf.tensor4d(x, image), dy: tf.tensor4d(dy, outShape) }, { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: pointwise }),
        () => tf.matMul(tf.tensor2d(x, [m, k]), tf.tensor2d(dy, [m, n]), true, false),
      ],
    ];
    for (const [onWasm, reference] of pairs) {
      const [[expected], [actual]] = [await valuesOn('cpu', reference), await valuesOn('wasm', onWasm)];
      expect(relativeMaxError(actual!, expected!)).toBeLessThan(TOLERANCE);
    }
    // A 3×3 conv: 360 rows, 306 deep.
    const xShape: [number, number, number, number] = [3, 12, 10, 34];
    const filterShape: [number, number, number, number] = [3, 3, 34, 20];
    const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, 1, 1, 'same');
    const [x3, w3, dy3] = [normalValues(103, 3 * 12 * 10 * 34), normalValues(104, 9 * 34 * 20), normalValues(105, tf.util.sizeFromShape(info.outShape))];
    expect(await agree(() => tf.conv2d(tf.tensor4d(x3, xShape), tf.tensor4d(w3, filterShape), 1, 'same'))).toBeLessThan(TOLERANCE);
    expect(await agree(() => tf.conv2dTranspose(tf.tensor4d(dy3, info.outShape), tf.tensor4d(w3, filterShape), xShape, 1, 'same'))).toBeLessThan(TOLERANCE);
    expect(
      await agree(() => tf.engine().runKernel<tf.Tensor>(tf.Conv2DBackpropFilter, { x: tf.tensor4d(x3, xShape), dy: tf.tensor4d(dy3, info.outShape) }, { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape })),
    ).toBeLessThan(TOLERANCE);
  });

  it('supports NCHW for both kernels', async () => {
    const xShape = [2, 3, 7, 6];
    const filterShape = [3, 3, 3, 4];
    const info = tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], filterShape as [number, number, number, number], 2, 1, 'same', undefined, false, 'channelsFirst');
    const dyShape = info.outShape;
    const attrs = { strides: [2, 2], pad: 'same', dataFormat: 'NCHW', dimRoundingMode: undefined };
    const x = normalValues(1, tf.util.sizeFromShape(xShape));
    const filter = normalValues(2, tf.util.sizeFromShape(filterShape));
    const dy = normalValues(3, tf.util.sizeFromShape(dyShape));
    expect(
      await agree(() => tf.engine().runKernel<tf.Tensor>(tf.Conv2DBackpropInput, { dy: tf.tensor(dy, dyShape), filter: tf.tensor(filter, filterShape) }, { ...attrs, inputShape: xShape } as unknown as tf.NamedAttrMap)),
    ).toBeLessThan(TOLERANCE);
    expect(
      await agree(() => tf.engine().runKernel<tf.Tensor>(tf.Conv2DBackpropFilter, { x: tf.tensor(x, xShape), dy: tf.tensor(dy, dyShape) }, { ...attrs, filterShape } as unknown as tf.NamedAttrMap)),
    ).toBeLessThan(TOLERANCE);
  });
});

describe('depthwise backprops on wasm agree with cpu', () => {
  it('over kernels 1–3, strides 1–2, dilations 1–2, multipliers 1–2, same/valid/explicit pads', async () => {
    const failures: string[] = [];
    let n = 0;
    for (const kernel of [1, 2, 3]) {
      for (const [stride, dilation] of [[1, 1], [2, 1], [1, 2]] as [number, number][]) {
        for (const multiplier of [1, 2]) {
          for (const pad of PADS) {
            n++;
            const xShape = [(n % 3) + 1, 6 + (n % 2), 7, 2];
            const filterShape = [kernel, kernel, 2, multiplier];
            const info = tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], filterShape as [number, number, number, number], stride, dilation, pad, undefined, true);
            const dyShape = info.outShape;
            const attrs = { strides: [stride, stride], dilations: [dilation, dilation], pad, dimRoundingMode: undefined };
            const x = normalValues(10 * n, tf.util.sizeFromShape(xShape));
            const filter = normalValues(10 * n + 1, tf.util.sizeFromShape(filterShape));
            const dy = normalValues(10 * n + 2, tf.util.sizeFromShape(dyShape));
            const what = `x${JSON.stringify(xShape)} k${kernel} s${stride} d${dilation} m${multiplier} pad ${JSON.stringify(pad)}`;
            const backpropInput = (): tf.Tensor =>
              tf.engine().runKernel<tf.Tensor>(tf.DepthwiseConv2dNativeBackpropInput, { dy: tf.tensor(dy, dyShape), filter: tf.tensor(filter, filterShape) }, { ...attrs, inputShape: xShape } as unknown as tf.NamedAttrMap);
            const backpropFilter = (): tf.Tensor =>
              tf.engine().runKernel<tf.Tensor>(tf.DepthwiseConv2dNativeBackpropFilter, { x: tf.tensor(x, xShape), dy: tf.tensor(dy, dyShape) }, { ...attrs, filterShape } as unknown as tf.NamedAttrMap);
            let inputError: number;
            let filterError: number;
            if (dilation === 1) {
              inputError = await agree(backpropInput);
              filterError = await agree(backpropFilter);
            } else {
              const reference = naiveDepthwiseBackprops(info, x, filter, dy);
              inputError = relativeMaxError((await valuesOn('wasm', backpropInput))[0]!, reference.dx);
              filterError = relativeMaxError((await valuesOn('wasm', backpropFilter))[0]!, reference.dw);
            }
            if (!(inputError <= TOLERANCE)) failures.push(`${what}: input error ${inputError}`);
            if (!(filterError <= TOLERANCE)) failures.push(`${what}: filter error ${filterError}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
  });
});

describe('UnsortedSegmentSum on wasm', () => {
  it('agrees with cpu, including repeated ids and empty segments', async () => {
    const x = normalValues(5, 6 * 4);
    const ids = [2, 0, 2, 4, 0, 2];
    expect(await agree(() => tf.unsortedSegmentSum(tf.tensor2d(x, [6, 4]), tf.tensor1d(ids, 'int32'), 5))).toBeLessThan(TOLERANCE);
  });
});

describe('gradients of conv2d and conv2dTranspose', () => {
  const shapes = [
    { x: [2, 9, 9, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'same' as const },
    { x: [3, 8, 8, 2], filter: [5, 5, 2, 3], strides: 2, pad: 'valid' as const },
    { x: [1, 7, 6, 2], filter: [4, 4, 2, 2], strides: 1, pad: 'same' as const },
  ];
  it.each(shapes)('conv2d $x * $filter s$strides $pad: d/dx and d/dW agree with cpu', async (s) => {
    const x = normalValues(21, tf.util.sizeFromShape(s.x));
    const w = normalValues(22, tf.util.sizeFromShape(s.filter));
    const error = await agree(() => {
      const f = (a: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s.strides, s.pad)));
      return tf.grads(f)([tf.tensor(x, s.x), tf.tensor(w, s.filter)]);
    });
    expect(error).toBeLessThan(TOLERANCE);
  });

  it.each(shapes)('conv2dTranspose back to $x with $filter s$strides $pad: d/dy and d/dW agree with cpu', async (s) => {
    const info = tf.backend_util.computeConv2DInfo(s.x as [number, number, number, number], s.filter as [number, number, number, number], s.strides, 1, s.pad);
    const y = normalValues(31, tf.util.sizeFromShape(info.outShape));
    const w = normalValues(32, tf.util.sizeFromShape(s.filter));
    const error = await agree(() => {
      const f = (a: tf.Tensor, b: tf.Tensor): tf.Tensor =>
        tf.sum(tf.square(tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, s.x as [number, number, number, number], s.strides, s.pad)));
      return tf.grads(f)([tf.tensor(y, info.outShape), tf.tensor(w, s.filter)]);
    });
    expect(error).toBeLessThan(TOLERANCE);
  });
});

describe('Tile on wasm (block-copy replacement)', () => {
  it.each([
    { shape: [1, 6], reps: [4, 1] },
    { shape: [1, 1, 1, 5], reps: [3, 4, 2, 1] },
    { shape: [2, 3, 1], reps: [2, 1, 3] },
    { shape: [3], reps: [4] },
    { shape: [2, 1, 2, 3], reps: [1, 2, 2, 2] },
  ])('tile $shape by $reps agrees with cpu (float32 and int32)', async ({ shape, reps }) => {
    const values = normalValues(9, tf.util.sizeFromShape(shape));
    expect(await agree(() => tf.tile(tf.tensor(values, shape), reps))).toBe(0);
    const ints = Int32Array.from(values, (v) => Math.round(10 * v));
    expect(await agree(() => tf.cast(tf.tile(tf.tensor(ints, shape, 'int32'), reps), 'float32'))).toBe(0);
  });
});

describe('BatchMatMul and _FusedMatMul on wasm with transposed operands', () => {
  const cases = [
    { a: [5, 7], b: [7, 3], transposeA: false, transposeB: false },
    { a: [7, 5], b: [7, 3], transposeA: true, transposeB: false },
    { a: [5, 7], b: [3, 7], transposeA: false, transposeB: true },
    { a: [2, 7, 5], b: [2, 3, 7], transposeA: true, transposeB: true },
    { a: [3, 4, 6], b: [1, 6, 2], transposeA: false, transposeB: false },
  ];
  it.each(cases)('matMul $a × $b (transposeA $transposeA, transposeB $transposeB) agrees with cpu', async (c) => {
    const a = normalValues(41, tf.util.sizeFromShape(c.a));
    const b = normalValues(42, tf.util.sizeFromShape(c.b));
    expect(await agree(() => tf.matMul(tf.tensor(a, c.a), tf.tensor(b, c.b), c.transposeA, c.transposeB))).toBeLessThan(TOLERANCE);
  });
  it.each(cases.slice(0, 3))('fused matMul $a × $b + bias, leakyrelu (transposeA $transposeA, transposeB $transposeB) agrees with cpu', async (c) => {
    const a = normalValues(43, tf.util.sizeFromShape(c.a));
    const b = normalValues(44, tf.util.sizeFromShape(c.b));
    const bias = normalValues(45, 3);
    expect(
      await agree(() =>
        tf.fused.matMul({ a: tf.tensor2d(a, c.a as [number, number]), b: tf.tensor2d(b, c.b as [number, number]), transposeA: c.transposeA, transposeB: c.transposeB, bias: tf.tensor1d(bias), activation: 'leakyrelu', leakyreluAlpha: 0.2 }),
      ),
    ).toBeLessThan(TOLERANCE);
  });
});

describe('Sum and Mean on wasm (one-pass leading-axes reduction, else wasm\'s own)', () => {
  const x = normalValues(61, 3 * 4 * 5 * 6);
  it.each([
    { axis: [0, 1, 2], keepDims: false },
    { axis: [0, 1, 2], keepDims: true },
    { axis: [1, 0], keepDims: false },
    { axis: 0, keepDims: false },
    { axis: [1, 2], keepDims: false },
    { axis: [3], keepDims: true },
    { axis: [0, 1, 2, 3], keepDims: false },
  ])('sum and mean over $axis (keepDims $keepDims) agree with cpu', async ({ axis, keepDims }) => {
    const input = (): tf.Tensor => tf.tensor(x, [3, 4, 5, 6]);
    expect(await agree(() => [tf.sum(input(), axis, keepDims), tf.mean(input(), axis, keepDims)])).toBeLessThan(TOLERANCE);
  });
  it('sums many leading rows (4-row blocks plus a remainder, odd widths) like cpu', async () => {
    const y = normalValues(67, 13 * 6 * 9);
    const input = (): tf.Tensor => tf.tensor(y, [13, 6, 9]);
    expect(await agree(() => [tf.sum(input(), [0, 1]), tf.mean(input(), [0, 1], true)])).toBeLessThan(TOLERANCE);
  });
  it('keeps int32 sums exact', async () => {
    const ints = Int32Array.from(x, (v) => Math.round(100 * v));
    expect(await agree(() => tf.cast(tf.sum(tf.tensor(ints, [3, 4, 5, 6], 'int32'), [0, 1]), 'float32'))).toBe(0);
  });
});

describe('Identity on wasm (shares the buffer)', () => {
  it('a clone keeps its values after the original is disposed, and frees the buffer with the last owner', async () => {
    await tf.setBackend('wasm');
    const buffersBefore = tf.memory().numDataBuffers;
    const original = tf.tensor1d([1, 2, 3]);
    const copy = tf.clone(original);
    expect(tf.memory().numDataBuffers).toBe(buffersBefore + 1);
    original.dispose();
    expect(Array.from(copy.dataSync())).toEqual([1, 2, 3]);
    const variable = tf.variable(copy);
    const next = tf.tensor1d([7, 8, 9]);
    variable.assign(next);
    next.dispose();
    expect(Array.from(copy.dataSync())).toEqual([1, 2, 3]);
    expect(Array.from(variable.dataSync())).toEqual([7, 8, 9]);
    copy.dispose();
    variable.dispose();
    expect(tf.memory().numDataBuffers).toBe(buffersBefore);
  });
});
