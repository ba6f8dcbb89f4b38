import { settings } from './settings';
import { wasm } from './wasm-api';
import { platform } from './threads/platform';

/** Decodes base64 without Node's Buffer (atob exists in Node ≥ 16 and every browser). */
export function base64Bytes(base64: string): Uint8Array {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/*
 * A module using one relaxed-SIMD instruction (f32x4.relaxed_madd): (func (result v128) v128.const 0 ×3 relaxed_madd).
 * It decides once, for every gankit kernel module, whether the engine accepts relaxed SIMD.
 */
const PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00, 0x0a, 0x3d, 0x01, 0x3b, 0x00,
  0xfd, 0x0c, ...new Array<number>(16).fill(0), 0xfd, 0x0c, ...new Array<number>(16).fill(0), 0xfd, 0x0c, ...new Array<number>(16).fill(0), 0xfd, 0x85, 0x02, 0x0b,
]);

let accepted: boolean | undefined;

/**
 * Whether gankit's kernels use their relaxed-SIMD (fused multiply-add) builds: the engine must accept relaxed SIMD
 * (Node ≥ 22 and current browsers by default; Node 20 once V8's `--experimental-wasm-relaxed-simd` is set, which
 * gankit does before compiling) and `configureWasm({ relaxedSimd })` must allow it. One decision for every module.
 */
export function useRelaxedSimd(): boolean {
  if (!settings().relaxedSimd) return false;
  if (accepted === undefined) {
    if (!wasm.validate(PROBE)) platform().enableRelaxedSimd();
    accepted = wasm.validate(PROBE);
  }
  return accepted;
}

/** The module bytes to compile: the fused multiply-add build when `useRelaxedSimd()`, else the plain SIMD128 one. */
export function kernelModuleBytes(plainBase64: string, fmaBase64: string): { bytes: Uint8Array; fma: boolean } {
  if (useRelaxedSimd()) {
    const bytes = base64Bytes(fmaBase64);
    if (wasm.validate(bytes)) return { bytes, fma: true };
  }
  return { bytes: base64Bytes(plainBase64), fma: false };
}
