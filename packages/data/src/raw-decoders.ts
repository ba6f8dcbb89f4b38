import { createRequire } from 'node:module';
import { GanKitError } from '@gankit/core';

/** bmp-js (CommonJS, untyped): `decode` gives width·height·4 bytes in A, B, G, R order. */
const bmp = createRequire(import.meta.url)('bmp-js') as { decode(buffer: Buffer): { width: number; height: number; data: Buffer } };

/** Pixels decoded outside sharp: HWC uint8 with 1 (gray) or 3 (RGB) channels. */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3;
}

/** Extensions sharp cannot read that gankit decodes itself (BMP with bmp-js; binary and ASCII Netpbm). */
export const RAW_DECODED_EXTENSIONS: readonly string[] = ['.bmp', '.pgm', '.ppm', '.pbm', '.pnm'];

/**
 * Decodes a Netpbm file (P1–P6; maxval ≤ 65535, rescaled to 0–255 as PIL does for 16-bit) to gray or RGB pixels.
 * P1/P4 bitmaps become gray 0/255 with 1 = black, as in PIL.
 */
export function decodeNetpbm(bytes: Uint8Array, where: string): RawImage {
  const fail = (why: string): never => {
    throw new GanKitError('DECODE_FAILED', `cannot decode image ${where}: ${why}`, { path: where });
  };
  if (bytes.length < 3 || bytes[0] !== 0x50) fail('not a Netpbm file (no "P" magic)');
  const kind = bytes[1]! - 0x30;
  if (kind < 1 || kind > 6) fail(`unknown Netpbm type P${String.fromCharCode(bytes[1]!)}`);
  let pos = 2;
  const isSpace = (b: number): boolean => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0b || b === 0x0c;
  const token = (): number => {
    for (;;) {
      while (pos < bytes.length && isSpace(bytes[pos]!)) pos++;
      if (bytes[pos] === 0x23) {
        while (pos < bytes.length && bytes[pos] !== 0x0a && bytes[pos] !== 0x0d) pos++;
        continue;
      }
      break;
    }
    const start = pos;
    while (pos < bytes.length && bytes[pos]! >= 0x30 && bytes[pos]! <= 0x39) pos++;
    if (pos === start) fail('truncated or malformed header');
    return Number(new TextDecoder().decode(bytes.subarray(start, pos)));
  };
  const width = token();
  const height = token();
  const bitmap = kind === 1 || kind === 4;
  const maxval = bitmap ? 1 : token();
  if (width < 1 || height < 1 || maxval < 1 || maxval > 65535) fail(`bad header (width ${width}, height ${height}, maxval ${maxval})`);
  const channels: 1 | 3 = kind === 3 || kind === 6 ? 3 : 1;
  const count = width * height * channels;
  const out = new Uint8Array(count);
  const scale = (v: number): number => (bitmap ? (v ? 0 : 255) : maxval === 255 ? v : Math.round((v * 255) / maxval));
  if (kind <= 3) {
    for (let i = 0; i < count; i++) {
      if (kind === 1) {
        while (pos < bytes.length && isSpace(bytes[pos]!)) pos++;
        if (pos >= bytes.length) fail(`pixel data ends after ${i} of ${count} values`);
        out[i] = scale(bytes[pos++]! === 0x31 ? 1 : 0);
      } else {
        out[i] = scale(token());
      }
    }
  } else {
    pos++; // the single whitespace byte after the header
    if (kind === 4) {
      const rowBytes = Math.ceil(width / 8);
      if (bytes.length < pos + rowBytes * height) fail(`pixel data is ${bytes.length - pos} bytes, expected ${rowBytes * height}`);
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) out[y * width + x] = scale((bytes[pos + y * rowBytes + (x >> 3)]! >> (7 - (x & 7))) & 1);
      }
    } else {
      const wide = maxval > 255;
      const need = count * (wide ? 2 : 1);
      if (bytes.length < pos + need) fail(`pixel data is ${bytes.length - pos} bytes, expected ${need}`);
      for (let i = 0; i < count; i++) out[i] = scale(wide ? (bytes[pos + 2 * i]! << 8) | bytes[pos + 2 * i + 1]! : bytes[pos + i]!);
    }
  }
  return { data: out, width, height, channels };
}

/** Decodes a BMP file (1/4/8/24/32-bit, via bmp-js) to RGB pixels. */
export function decodeBmp(bytes: Uint8Array, where: string): RawImage {
  let image;
  try {
    image = bmp.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    throw new GanKitError('DECODE_FAILED', `cannot decode image ${where}: ${error instanceof Error ? error.message : String(error)}`, { path: where, cause: error });
  }
  const { width, height, data } = image;
  const pixels = width * height;
  if (!(width > 0 && height > 0) || data.length < pixels * 4) throw new GanKitError('DECODE_FAILED', `cannot decode image ${where}: truncated BMP`, { path: where });
  const out = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    out[3 * p] = data[4 * p + 3]!;
    out[3 * p + 1] = data[4 * p + 2]!;
    out[3 * p + 2] = data[4 * p + 1]!;
  }
  return { data: out, width, height, channels: 3 };
}

/** Decodes `bytes` when `extension` is one sharp cannot read (see {@link RAW_DECODED_EXTENSIONS}); undefined otherwise. */
export function decodeRaw(bytes: Uint8Array, extension: string, where: string): RawImage | undefined {
  const ext = extension.toLowerCase();
  if (ext === '.bmp') return decodeBmp(bytes, where);
  if (RAW_DECODED_EXTENSIONS.includes(ext)) return decodeNetpbm(bytes, where);
  return undefined;
}
