/** The parts of the WebAssembly JS API gankit uses (tsconfig's lib has no DOM, and @types/node 20 lacks them). */
export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  grow(pages: number): number;
}
/** A compiled module (structured-cloneable to workers). */
export type WasmModule = object;
/** An instance's exports. */
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  compile(bytes: Uint8Array): Promise<WasmModule>;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => WasmInstance;
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}
/** `globalThis.WebAssembly`, typed. */
export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
/** Bytes in a wasm page. */
export const WASM_PAGE = 65536;
