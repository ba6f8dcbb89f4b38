import { setFlagsFromString } from 'node:v8';
import { CONV_GEMM_FMA_WASM_BASE64, CONV_GEMM_WASM_BASE64 } from './conv-gemm-wasm';

/** The parts of the WebAssembly JS API used here (tsconfig's lib has no DOM, and @types/node 20 lacks them). */
interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface ConvGemmExports {
  __heap_base: { value: number };
  sgemm_scratch_bytes(): number;
  sgemm(...args: number[]): void;
  im2col(geometry: number, x: number, col: number): void;
  col2im(geometry: number, col: number, dx: number): void;
  bias_activation(y: number, rows: number, cols: number, bias: number, act: number, alpha: number): void;
}

const WASM_PAGE = 65536;
const MAX_PAGES = 65536;
const ALIGN = 64;

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/**
 * Relaxed SIMD (fused multiply-add) is on by default from Node 22 (V8 11.4); Node 20's V8 has it behind
 * `--experimental-wasm-relaxed-simd`, which only adds instructions and is set here before compiling.
 * GANKIT_WASM_FMA=0 keeps the plain SIMD128 build.
 */
function fmaBytesIfSupported(): Uint8Array | undefined {
  if (process.env.GANKIT_WASM_FMA === '0') return undefined;
  const bytes = Buffer.from(CONV_GEMM_FMA_WASM_BASE64, 'base64');
  if (wasm.validate(bytes)) return bytes;
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  return wasm.validate(bytes) ? bytes : undefined;
}

/** A region of the kernels' linear memory, in bytes. */
export interface Region {
  readonly ptr: number;
  readonly floats: number;
}

/**
 * gankit's float32 GEMM / im2col kernels (conv-gemm.c) in their own WebAssembly memory. Each kernel call
 * lays its buffers out from the start of the heap (`layout`), so nothing is allocated between calls; the
 * memory only grows to the largest call's need.
 */
export class ConvGemmRuntime {
  /** True when the fused multiply-add (relaxed SIMD) build runs. */
  readonly fma: boolean;
  private readonly memory: WasmMemory;
  private readonly exports: ConvGemmExports;
  private readonly heapBase: number;
  private readonly scratchBytes: number;

  constructor() {
    const fmaBytes = fmaBytesIfSupported();
    this.fma = fmaBytes !== undefined;
    const module = new wasm.Module(fmaBytes ?? Buffer.from(CONV_GEMM_WASM_BASE64, 'base64'));
    this.memory = new wasm.Memory({ initial: 64, maximum: MAX_PAGES, shared: true });
    this.exports = new wasm.Instance(module, { env: { memory: this.memory } }).exports as unknown as ConvGemmExports;
    this.heapBase = alignUp(this.exports.__heap_base.value, ALIGN);
    this.scratchBytes = this.exports.sgemm_scratch_bytes();
  }

  /**
   * Lays out regions of the given float counts (plus the GEMM scratch, last) from the heap start, growing
   * the memory if needed. Regions are valid until the next `layout`.
   */
  layout(...floats: number[]): { regions: Region[]; scratch: number } {
    let ptr = this.heapBase;
    const regions = floats.map((n) => {
      const region = { ptr, floats: n };
      ptr += alignUp(n * 4, ALIGN);
      return region;
    });
    this.ensure(ptr + this.scratchBytes);
    return { regions, scratch: ptr };
  }

  /** A float32 view of a region (take it after `layout`: growing replaces the buffer). */
  f32(region: Region): Float32Array {
    return new Float32Array(this.memory.buffer, region.ptr, region.floats);
  }

  /** An int32 view of a region. */
  i32(region: Region): Int32Array {
    return new Int32Array(this.memory.buffer, region.ptr, region.floats);
  }

  /** The kernels' exports (pointers are byte offsets into this runtime's memory). */
  get kernels(): ConvGemmExports {
    return this.exports;
  }

  private ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    const pages = Math.ceil((bytes - have) / WASM_PAGE);
    this.memory.grow(pages);
  }
}

let runtime: ConvGemmRuntime | undefined;

/** The process-wide runtime, compiled on first use (synchronously: kernels are synchronous). */
export function convGemmRuntime(): ConvGemmRuntime {
  runtime ??= new ConvGemmRuntime();
  return runtime;
}
