import { gzipSync } from 'node:zlib';
import { GanKitError } from '@gankit/core';
import { atomicWriteFile, readFileOrThrow } from '@gankit/core/node';
import { inflateBounded } from './inflate';
import { arraySource, type ArraySource } from './source';

/** Element types of the IDX format (type byte 0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E). */
export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

interface IdxData {
  uint8: Uint8Array;
  int8: Int8Array;
  int16: Int16Array;
  int32: Int32Array;
  float32: Float32Array;
  float64: Float64Array;
}

/** An IDX array: element type, dimensions (first = item count) and the flat data in native byte order. */
export type IdxArray = { [D in IdxDtype]: { dtype: D; shape: number[]; data: IdxData[D] } }[IdxDtype];

const IDX_TYPES: readonly { dtype: IdxDtype; code: number; size: number }[] = [
  { dtype: 'uint8', code: 0x08, size: 1 },
  { dtype: 'int8', code: 0x09, size: 1 },
  { dtype: 'int16', code: 0x0b, size: 2 },
  { dtype: 'int32', code: 0x0c, size: 4 },
  { dtype: 'float32', code: 0x0d, size: 4 },
  { dtype: 'float64', code: 0x0e, size: 8 },
];

function corrupt(where: string, reason: string, cause?: unknown): GanKitError {
  return new GanKitError('FILE_CORRUPT', `${where} is not a valid IDX file: ${reason}`, { path: where, cause });
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

interface IdxHeader {
  type: (typeof IDX_TYPES)[number];
  shape: number[];
  count: number;
  headerSize: number;
  /** Data bytes the dimensions need. */
  expected: number;
}

/** Reads the IDX header (magic, type, rank, dimensions) from the start of `bytes`; undefined while it is incomplete. */
function parseIdxHeader(bytes: Uint8Array, where: string, complete: boolean): IdxHeader | undefined {
  if (bytes.length < 4) {
    if (!complete) return undefined;
    throw corrupt(where, `only ${bytes.length} bytes, shorter than the 4-byte magic`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw corrupt(where, `wrong magic 0x${[...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join('')} (expected 0x0000TTRR: two zero bytes, type, rank)`);
  }
  const type = IDX_TYPES.find((t) => t.code === bytes[2]);
  if (!type) throw corrupt(where, `unknown element type 0x${(bytes[2] as number).toString(16)} (expected 0x08, 0x09, 0x0B, 0x0C, 0x0D or 0x0E)`);
  const rank = bytes[3] as number;
  if (rank < 1) throw corrupt(where, 'rank 0 (expected at least one dimension)');
  const headerSize = 4 + 4 * rank;
  if (bytes.length < headerSize) {
    if (!complete) return undefined;
    throw corrupt(where, `header of rank ${rank} needs ${headerSize} bytes, file has ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let i = 0; i < rank; i++) {
    const dim = view.getUint32(4 + 4 * i, false);
    shape.push(dim);
    count *= dim;
  }
  return { type, shape, count, headerSize, expected: count * type.size };
}

/**
 * Decompresses the gzip stream of an IDX file, stopping with FILE_CORRUPT as soon as it inflates past the size its
 * header implies (a decompression bomb costs a few MB, not what it would expand to); a truncated or damaged stream
 * becomes a FILE_CORRUPT error naming `where`.
 */
export function gunzipIdx(bytes: Uint8Array, where: string): Uint8Array {
  let header: IdxHeader | undefined;
  return inflateBounded(bytes, {
    format: 'gzip',
    where,
    limit: (head) => {
      header = parseIdxHeader(head, where, false);
      return header && (Number.isSafeInteger(header.expected) ? header.headerSize + header.expected : header.headerSize);
    },
    describeLimit: () => (header ? `the ${header.expected} data bytes its dimensions [${header.shape.join(', ')}] of ${header.type.dtype} need` : 'its header'),
  });
}

/** Parses IDX bytes (raw or gzip), validating the magic, rank, dimensions and byte count; `where` names the file. */
export function parseIdx(input: Uint8Array, where = '<idx bytes>'): IdxArray {
  const bytes = isGzip(input) ? gunzipIdx(input, where) : input;
  const { type, shape, count, headerSize, expected } = parseIdxHeader(bytes, where, true) as IdxHeader;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const available = bytes.length - headerSize;
  if (!Number.isSafeInteger(expected) || expected !== available) {
    throw corrupt(where, `dimensions [${shape.join(', ')}] of ${type.dtype} need ${expected} data bytes but the file has ${available}`);
  }
  const out = new ArrayBuffer(expected);
  const outView = new DataView(out);
  const body = bytes.subarray(headerSize);
  switch (type.dtype) {
    case 'uint8':
      new Uint8Array(out).set(body);
      return { dtype: 'uint8', shape, data: new Uint8Array(out) };
    case 'int8':
      new Uint8Array(out).set(body);
      return { dtype: 'int8', shape, data: new Int8Array(out) };
    case 'int16':
      for (let i = 0; i < count; i++) outView.setInt16(2 * i, view.getInt16(headerSize + 2 * i, false), true);
      return { dtype: 'int16', shape, data: new Int16Array(out) };
    case 'int32':
      for (let i = 0; i < count; i++) outView.setInt32(4 * i, view.getInt32(headerSize + 4 * i, false), true);
      return { dtype: 'int32', shape, data: new Int32Array(out) };
    case 'float32':
      for (let i = 0; i < count; i++) outView.setFloat32(4 * i, view.getFloat32(headerSize + 4 * i, false), true);
      return { dtype: 'float32', shape, data: new Float32Array(out) };
    case 'float64':
      for (let i = 0; i < count; i++) outView.setFloat64(8 * i, view.getFloat64(headerSize + 8 * i, false), true);
      return { dtype: 'float64', shape, data: new Float64Array(out) };
  }
}

/** Encodes an array as IDX bytes (big-endian, as the MNIST files); `gzip: true` compresses them. */
export function encodeIdx(array: IdxArray, options: { gzip?: boolean } = {}): Uint8Array {
  const type = IDX_TYPES.find((t) => t.dtype === array.dtype);
  const count = array.shape.reduce((a, b) => a * b, 1);
  if (!type || array.shape.length < 1 || array.shape.length > 255 || count !== array.data.length) {
    throw new GanKitError('SHAPE_MISMATCH', `IDX array of dtype ${array.dtype}: shape [${array.shape.join(', ')}] does not match ${array.data.length} elements`);
  }
  const headerSize = 4 + 4 * array.shape.length;
  const out = new Uint8Array(headerSize + count * type.size);
  const view = new DataView(out.buffer);
  out[2] = type.code;
  out[3] = array.shape.length;
  array.shape.forEach((dim, i) => view.setUint32(4 + 4 * i, dim, false));
  const data = array.data;
  if (array.dtype === 'uint8') {
    out.set(array.data, headerSize);
    return options.gzip ? gzipSync(out) : out;
  }
  for (let i = 0; i < count; i++) {
    const at = headerSize + i * type.size;
    const v = data[i] as number;
    switch (array.dtype) {
      case 'int8': view.setInt8(at, v); break;
      case 'int16': view.setInt16(at, v, false); break;
      case 'int32': view.setInt32(at, v, false); break;
      case 'float32': view.setFloat32(at, v, false); break;
      case 'float64': view.setFloat64(at, v, false); break;
    }
  }
  return options.gzip ? gzipSync(out) : out;
}

/** Reads an IDX file, raw or `.gz` (detected from the content). */
export async function readIdx(path: string): Promise<IdxArray> {
  return parseIdx(await readFileOrThrow(path), path);
}

/** Writes an IDX file atomically (gzip-compressed when `gzip` is true). */
export async function writeIdx(path: string, array: IdxArray, options: { gzip?: boolean } = {}): Promise<void> {
  await atomicWriteFile(path, encodeIdx(array, options));
}

/** Options for `idxSource`. */
export interface IdxSourceOptions {
  /** The labels file (rank 1, uint8), paired with the images by index. */
  labels?: string;
  /** Class names in label order. */
  classNames?: readonly string[];
  /** Number of classes; defaults to max(label) + 1 (or `classNames.length`). */
  numClasses?: number;
  /** Swap rows and columns of every image: EMNIST's IDX files store images transposed. */
  transpose?: boolean;
}

/** Transposes each H×W×C image of an N×H×W×C buffer into N×W×H×C. */
function transposeImages(data: Uint8Array, n: number, h: number, w: number, c: number): Uint8Array {
  const out = new Uint8Array(data.length);
  const size = h * w * c;
  for (let i = 0; i < n; i++) {
    const base = i * size;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let k = 0; k < c; k++) out[base + (x * h + y) * c + k] = data[base + (y * w + x) * c + k]!;
      }
    }
  }
  return out;
}

/** Turns parsed IDX images (rank 3 N×H×W or rank 4 N×H×W×C, uint8) and labels into a random-access source. */
export function idxArraysToSource(images: IdxArray, labels: IdxArray | undefined, imagesPath: string, options: IdxSourceOptions = {}): ArraySource {
  if (images.dtype !== 'uint8' || (images.shape.length !== 3 && images.shape.length !== 4)) {
    throw new GanKitError('UNSUPPORTED_FORMAT', `${imagesPath}: expected uint8 images of rank 3 (N×H×W) or 4 (N×H×W×C), got ${images.dtype} of rank ${images.shape.length}`, { path: imagesPath });
  }
  const [, h = 0, w = 0, c = 1] = images.shape;
  let labelData: Uint8Array | undefined;
  if (labels) {
    const labelsPath = options.labels ?? '<labels>';
    if (labels.dtype !== 'uint8' || labels.shape.length !== 1) {
      throw new GanKitError('UNSUPPORTED_FORMAT', `${labelsPath}: expected uint8 labels of rank 1, got ${labels.dtype} of rank ${labels.shape.length}`, { path: labelsPath });
    }
    if (labels.shape[0] !== images.shape[0]) {
      throw new GanKitError('FILE_MISMATCH', `${labelsPath} has ${labels.shape[0]} labels but ${imagesPath} has ${images.shape[0]} images (expected one label per image)`, { path: labelsPath });
    }
    labelData = labels.data;
  }
  if (images.shape[0] === 0) throw new GanKitError('EMPTY_DATASET', `${imagesPath} holds no images`, { path: imagesPath });
  const numClasses = options.numClasses ?? options.classNames?.length;
  if (options.transpose) {
    return arraySource(transposeImages(images.data, images.shape[0]!, h, w, c), [w, h, c], labelData, {
      name: imagesPath,
      ...(numClasses !== undefined ? { numClasses } : {}),
      ...(options.classNames ? { classNames: options.classNames } : {}),
    });
  }
  return arraySource(images.data, [h, w, c], labelData, {
    name: imagesPath,
    ...(numClasses !== undefined ? { numClasses } : {}),
    ...(options.classNames ? { classNames: options.classNames } : {}),
  });
}

/** A random-access source over an IDX images file (MNIST, Fashion-MNIST, EMNIST, KMNIST; raw or `.gz`), with an optional labels file. */
export async function idxSource(imagesPath: string, options: IdxSourceOptions = {}): Promise<ArraySource> {
  const [images, labels] = await Promise.all([readIdx(imagesPath), options.labels ? readIdx(options.labels) : undefined]);
  return idxArraysToSource(images, labels, imagesPath, options);
}
