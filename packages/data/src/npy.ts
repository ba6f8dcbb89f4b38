import { GanKitError } from '@gankit/core';
import { atomicWriteFile, readFileOrThrow } from '@gankit/core/node';
import { zipSync, type Zippable } from 'fflate';
import { readZipEntries, zipEntryBytes, type ZipEntry } from './zip';

/** Element types the NumPy reader and writer understand. */
export type NpyDtype = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'int64' | 'float32' | 'float64' | 'bool';

interface DtypeData {
  uint8: Uint8Array;
  int8: Int8Array;
  uint16: Uint16Array;
  int16: Int16Array;
  uint32: Uint32Array;
  int32: Int32Array;
  int64: BigInt64Array;
  float32: Float32Array;
  float64: Float64Array;
  bool: Uint8Array;
}

/** An n-dimensional array in C (row-major) order: the element type, the shape and the flat data. */
export type NpyArray = { [D in NpyDtype]: { dtype: D; shape: number[]; data: DtypeData[D] } }[NpyDtype];

/** The typed-array view of an array's elements, whatever its dtype. */
export type NpyData = NpyArray['data'];

interface DtypeInfo {
  dtype: NpyDtype;
  size: number;
  /** numpy's descr without the byte-order character. */
  code: string;
}

const DTYPES: readonly DtypeInfo[] = [
  { dtype: 'uint8', size: 1, code: 'u1' },
  { dtype: 'int8', size: 1, code: 'i1' },
  { dtype: 'bool', size: 1, code: 'b1' },
  { dtype: 'uint16', size: 2, code: 'u2' },
  { dtype: 'int16', size: 2, code: 'i2' },
  { dtype: 'uint32', size: 4, code: 'u4' },
  { dtype: 'int32', size: 4, code: 'i4' },
  { dtype: 'int64', size: 8, code: 'i8' },
  { dtype: 'float32', size: 4, code: 'f4' },
  { dtype: 'float64', size: 8, code: 'f8' },
];

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

function corrupt(where: string, reason: string): GanKitError {
  return new GanKitError('FILE_CORRUPT', `${where} is not a valid .npy array: ${reason}`, { path: where });
}

function unsupported(where: string, reason: string): GanKitError {
  return new GanKitError('UNSUPPORTED_FORMAT', `${where}: ${reason}`, { path: where });
}

/** Parses a Python dict literal of the .npy header (`{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`). */
function parseHeader(text: string, where: string): { descr: string; fortranOrder: boolean; shape: number[] } {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) throw corrupt(where, `header is not a dict literal: ${JSON.stringify(text.slice(0, 80))}`);
  const descrList = /['"]descr['"]\s*:\s*\[/.exec(trimmed);
  if (descrList) throw unsupported(where, 'structured (record) dtypes are not supported; save a plain numeric array');
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(trimmed);
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(trimmed);
  const shape = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(trimmed);
  if (!descr?.[1]) throw corrupt(where, "header has no 'descr'");
  if (!fortran?.[1]) throw corrupt(where, "header has no 'fortran_order'");
  if (!shape || shape[1] === undefined) throw corrupt(where, "header has no 'shape'");
  const dims = shape[1]
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((part) => {
      const cleaned = part.replace(/L$/, '');
      if (!/^\d+$/.test(cleaned)) throw corrupt(where, `shape entry ${JSON.stringify(part)} is not a non-negative integer`);
      return Number(cleaned);
    });
  return { descr: descr[1], fortranOrder: fortran[1] === 'True', shape: dims };
}

function lookupDescr(descr: string, where: string): { info: DtypeInfo; bigEndian: boolean } {
  if (descr.includes('O')) throw unsupported(where, `object arrays (dtype '${descr}') are not supported: they need pickle; save a numeric array`);
  const order = descr[0];
  const code = descr.slice(1);
  const info = DTYPES.find((d) => d.code === code);
  if (!info || (order !== '<' && order !== '>' && order !== '|' && order !== '=')) {
    throw unsupported(where, `dtype '${descr}' is not supported (expected one of ${DTYPES.map((d) => d.dtype).join(', ')})`);
  }
  return { info, bigEndian: order === '>' && info.size > 1 };
}

function elementCount(shape: readonly number[], where: string): number {
  let count = 1;
  for (const dim of shape) {
    if (!Number.isSafeInteger(dim) || dim < 0) throw corrupt(where, `invalid dimension ${dim} in shape (${shape.join(', ')})`);
    count *= dim;
    if (!Number.isSafeInteger(count)) throw corrupt(where, `shape (${shape.join(', ')}) is too large`);
  }
  return count;
}

function typedArrayFor(dtype: NpyDtype, buffer: ArrayBuffer): NpyData {
  switch (dtype) {
    case 'uint8':
    case 'bool':
      return new Uint8Array(buffer);
    case 'int8':
      return new Int8Array(buffer);
    case 'uint16':
      return new Uint16Array(buffer);
    case 'int16':
      return new Int16Array(buffer);
    case 'uint32':
      return new Uint32Array(buffer);
    case 'int32':
      return new Int32Array(buffer);
    case 'int64':
      return new BigInt64Array(buffer);
    case 'float32':
      return new Float32Array(buffer);
    case 'float64':
      return new Float64Array(buffer);
  }
}

function swapBytes(bytes: Uint8Array, size: number): void {
  for (let i = 0; i + size <= bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a] as number;
      bytes[a] = bytes[b] as number;
      bytes[b] = t;
    }
  }
}

/** Parses the bytes of a `.npy` file (format versions 1–3, C order, numeric dtypes); `where` names the file in errors. */
export function parseNpy(bytes: Uint8Array, where = '<npy bytes>'): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw corrupt(where, 'missing the \\x93NUMPY magic string');
  const major = bytes[6] as number;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw corrupt(where, 'truncated header');
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw unsupported(where, `.npy format version ${major}.${bytes[7]} is not supported (expected 1.x, 2.x or 3.x)`);
  }
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) throw corrupt(where, `header length ${headerLength} runs past the end of the file (${bytes.length} bytes)`);
  const headerText = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart));
  const header = parseHeader(headerText, where);
  const { info, bigEndian } = lookupDescr(header.descr, where);
  const count = elementCount(header.shape, where);
  if (header.fortranOrder && header.shape.filter((d) => d > 1).length > 1) {
    throw unsupported(where, 'Fortran-ordered arrays are not supported; save with np.ascontiguousarray(a)');
  }
  const expected = count * info.size;
  const available = bytes.length - dataStart;
  if (available !== expected) {
    throw corrupt(where, `shape (${header.shape.join(', ')}) of ${info.dtype} needs ${expected} data bytes but the file has ${available}`);
  }
  // A fresh, aligned copy (a Node Buffer's slice() would share memory with the pool).
  const copy = new Uint8Array(expected);
  copy.set(bytes.subarray(dataStart, dataStart + expected));
  if (bigEndian) swapBytes(copy, info.size);
  return { dtype: info.dtype, shape: header.shape, data: typedArrayFor(info.dtype, copy.buffer) } as NpyArray;
}

function dtypeOfData(data: NpyData): NpyDtype | undefined {
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint16Array) return 'uint16';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Uint32Array) return 'uint32';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  return undefined;
}

function validateArray(array: NpyArray, where: string): DtypeInfo {
  const info = DTYPES.find((d) => d.dtype === array.dtype);
  if (!info) throw new GanKitError('INVALID_ARGUMENT', `${where}: unknown dtype ${String(array.dtype)}`, { path: where });
  const dataType = dtypeOfData(array.data);
  const compatible = dataType === array.dtype || (array.dtype === 'bool' && dataType === 'uint8');
  if (!compatible) {
    throw new GanKitError('INVALID_ARGUMENT', `${where}: dtype '${array.dtype}' does not match its data (${array.data.constructor.name})`, { path: where });
  }
  const count = array.shape.reduce((a, b) => a * b, 1);
  if (!array.shape.every((d) => Number.isSafeInteger(d) && d >= 0) || count !== array.data.length) {
    throw new GanKitError('SHAPE_MISMATCH', `${where}: shape [${array.shape.join(', ')}] holds ${count} elements but data has ${array.data.length}`, { path: where });
  }
  return info;
}

/** Encodes an array as `.npy` bytes (format 1.0, or 2.0 for very long headers), little-endian, C order — readable by `np.load`. */
export function encodeNpy(array: NpyArray, where = '<npy array>'): Uint8Array {
  const info = validateArray(array, where);
  const order = info.size === 1 ? '|' : '<';
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  let header = `{'descr': '${order}${info.code}', 'fortran_order': False, 'shape': ${shape}, }`;
  const version = header.length + 12 > 65535 ? 2 : 1;
  const prefix = version === 1 ? 10 : 12;
  const total = Math.ceil((prefix + header.length + 1) / 64) * 64;
  header = header.padEnd(total - prefix - 1, ' ') + '\n';
  const dataBytes = new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength);
  const out = new Uint8Array(total + dataBytes.length);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[prefix + i] = header.charCodeAt(i);
  out.set(dataBytes, total);
  return out;
}

/** Reads a `.npy` file. Errors name the file: FILE_NOT_FOUND, FILE_CORRUPT, UNSUPPORTED_FORMAT (Fortran order, object arrays). */
export async function readNpy(path: string): Promise<NpyArray> {
  return parseNpy(await readFileOrThrow(path), path);
}

/** Writes an array to a `.npy` file atomically. */
export async function writeNpy(path: string, array: NpyArray): Promise<void> {
  await atomicWriteFile(path, encodeNpy(array, path));
}

/**
 * The total size (header + data) of the `.npy` whose first bytes are `head`, or undefined while the header is
 * incomplete; a malformed header throws as `parseNpy` would.
 */
function npyTotalSize(head: Uint8Array, where: string): number | undefined {
  if (head.length < 12) return undefined;
  if (MAGIC.some((b, i) => head[i] !== b)) throw corrupt(where, 'missing the \\x93NUMPY magic string');
  const major = head[6] as number;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (major !== 1 && major !== 2 && major !== 3) throw unsupported(where, `.npy format version ${major}.${head[7]} is not supported (expected 1.x, 2.x or 3.x)`);
  const headerStart = major === 1 ? 10 : 12;
  const dataStart = headerStart + (major === 1 ? view.getUint16(8, true) : view.getUint32(8, true));
  if (head.length < dataStart) return undefined;
  const header = parseHeader(new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(head.subarray(headerStart, dataStart)), where);
  const { info } = lookupDescr(header.descr, where);
  return dataStart + elementCount(header.shape, where) * info.size;
}

/**
 * Parses the bytes of a `.npz` file (a zip of `.npy` members, stored or deflated) into arrays keyed by name without
 * `.npy`. Deflated members are inflated as streams within the size their own `.npy` header implies.
 */
export function parseNpz(bytes: Uint8Array, where = '<npz bytes>'): Record<string, NpyArray> {
  let entries: ZipEntry[];
  try {
    entries = readZipEntries(bytes, where);
  } catch (error) {
    if (GanKitError.isInstance(error)) throw new GanKitError('FILE_CORRUPT', error.message.replace('is not a valid zip archive', 'is not a valid .npz (zip) file'), { path: where, cause: error });
    throw error;
  }
  const out: Record<string, NpyArray> = {};
  for (const entry of entries) {
    if (entry.name.endsWith('/')) continue;
    const key = entry.name.endsWith('.npy') ? entry.name.slice(0, -4) : entry.name;
    const member = `${where}[${key}]`;
    const npy = zipEntryBytes(entry, member, (head) => npyTotalSize(head, member), (limit) => `the ${limit} bytes its .npy header implies`);
    out[key] = parseNpy(npy, member);
  }
  if (Object.keys(out).length === 0) throw new GanKitError('FILE_CORRUPT', `${where} is not a valid .npz file: the zip holds no arrays`, { path: where });
  return out;
}

/** Encodes named arrays as `.npz` bytes, deflated when `compress` is true (like `np.savez_compressed`), else stored (like `np.savez`). */
export function encodeNpz(arrays: Record<string, NpyArray>, options: { compress?: boolean } = {}, where = '<npz>'): Uint8Array {
  const names = Object.keys(arrays);
  if (names.length === 0) throw new GanKitError('INVALID_ARGUMENT', `${where}: an .npz needs at least one array`, { path: where });
  const files: Zippable = {};
  for (const name of names) {
    if (name.length === 0 || name.includes('/')) throw new GanKitError('INVALID_ARGUMENT', `${where}: array name ${JSON.stringify(name)} must be non-empty without '/'`, { path: where });
    files[`${name}.npy`] = [encodeNpy(arrays[name] as NpyArray, `${where}[${name}]`), { level: options.compress ? 6 : 0 }];
  }
  return zipSync(files, { mtime: new Date('1980-01-01T00:00:00Z') });
}

/** Reads a `.npz` file (e.g. pytorch-fid statistics with `mu` and `sigma`) into arrays keyed by name. */
export async function readNpz(path: string): Promise<Record<string, NpyArray>> {
  return parseNpz(await readFileOrThrow(path), path);
}

/** Writes named arrays to a `.npz` file atomically; `compress: true` deflates the members. */
export async function writeNpz(path: string, arrays: Record<string, NpyArray>, options: { compress?: boolean } = {}): Promise<void> {
  await atomicWriteFile(path, encodeNpz(arrays, options, path));
}
