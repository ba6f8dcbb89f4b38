import { GanKitError } from '@gankit/core';
import { readFileOrThrow } from '@gankit/core/node';
import { readZipEntries, zipEntryBytes, type ZipEntry } from '@gankit/data/node';
import { isTorchTensor, type TorchDType, type TorchTensor, type TorchTensorData, type TorchValue } from './tensor';
import { isPickleObject, unpickle, type AllowedGlobal, type PickleObject, type PickleValue } from './pickle';

interface StorageType extends PickleObject {
  readonly pickleKind: 'storage-type';
  readonly dtype: TorchDType;
}

interface StorageRef extends PickleObject {
  readonly pickleKind: 'storage';
  readonly dtype: TorchDType;
  readonly key: string;
  readonly numel: number;
  /** Element offset into the root storage (legacy storage views only). */
  readonly viewOffset: number;
  bytes: Uint8Array | undefined;
}

interface PendingTensor {
  tensor: TorchTensor;
  storage: StorageRef;
  offset: number;
  stride: number[];
}

const ELEMENT_SIZE: Record<TorchDType, number> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

const STORAGE_TYPES: Record<string, TorchDType> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

/** The pickle that every legacy-format file starts with (torch.serialization.MAGIC_NUMBER). */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

/** Reads a PyTorch checkpoint file (`torch.save`, zip or legacy format) without executing any pickled code. */
export async function loadTorchCheckpoint(path: string): Promise<TorchValue> {
  const bytes = await readFileOrThrow(path);
  return readTorchCheckpoint(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
}

/**
 * Parses the bytes of a PyTorch checkpoint: the zip format (torch ≥ 1.6: `<dir>/data.pkl` + `<dir>/data/<key>`)
 * or the legacy format (magic, protocol and sys-info pickles, the object pickle, then raw storages). Only
 * tensors, storages and (ordered) dicts can be built; any other Python global raises `UNSAFE_PICKLE`.
 */
export function readTorchCheckpoint(bytes: Uint8Array, source = 'checkpoint'): TorchValue {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return readZipCheckpoint(bytes, source);
  if (bytes.length >= 2 && bytes[0] === 0x80) return readLegacyCheckpoint(bytes, source);
  if (bytes.length > 262 && latin1(bytes.subarray(257, 262)) === 'ustar') {
    throw new GanKitError('UNSUPPORTED_FORMAT', `${source} is a tar-based PyTorch checkpoint (torch < 0.4); re-save it with a current torch.save`, { path: source });
  }
  throw new GanKitError('FILE_CORRUPT', `${source} is not a PyTorch checkpoint: it is neither a zip archive nor a legacy torch.save pickle`, { path: source });
}

/** Flattens nested dicts of a checkpoint into `a.b.c` → tensor; non-tensor leaves are skipped. */
export function torchStateDict(value: TorchValue, source = 'checkpoint'): Map<string, TorchTensor> {
  const out = new Map<string, TorchTensor>();
  const visit = (prefix: string, node: TorchValue): void => {
    if (isTorchTensor(node)) out.set(prefix, node);
    else if (node instanceof Map) for (const [key, child] of node) visit(prefix ? `${prefix}.${keyText(key)}` : keyText(key), child);
  };
  visit('', value);
  if (out.size === 0) throw new GanKitError('FILE_MISMATCH', `${source} holds no tensors`, { path: source });
  return out;
}

class CheckpointBuilder {
  readonly storages = new Map<string, StorageRef>();
  readonly pending: PendingTensor[] = [];
  readonly globals: Map<string, AllowedGlobal | PickleObject>;

  constructor(private readonly source: string) {
    this.globals = new Map<string, AllowedGlobal | PickleObject>([
      ['collections.OrderedDict', () => new Map()],
      ['torch._utils._rebuild_tensor', (args) => this.rebuildTensor(args)],
      ['torch._utils._rebuild_tensor_v2', (args) => this.rebuildTensor(args)],
      ['torch._utils._rebuild_parameter', (args) => this.rebuildParameter(args)],
    ]);
    for (const [name, dtype] of Object.entries(STORAGE_TYPES)) {
      const type: StorageType = { pickleKind: 'storage-type', dtype };
      this.globals.set(`torch.${name}`, type);
    }
  }

  /** `('storage', storage_type, key, location, numel[, view_metadata])` → a storage reference filled later. */
  persistentLoad = (pid: PickleValue): PickleValue => {
    if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) throw this.corrupt(`unexpected persistent id ${describe(pid)}`);
    const [, type, key, , numel, view] = pid;
    if (!isPickleObject(type) || type.pickleKind !== 'storage-type' || typeof key !== 'string' || typeof numel !== 'number') {
      throw this.corrupt(`malformed storage id ${describe(pid)}`);
    }
    const dtype = (type as StorageType).dtype;
    let root = this.storages.get(key);
    if (!root) {
      root = { pickleKind: 'storage', dtype, key, numel, viewOffset: 0, bytes: undefined };
      this.storages.set(key, root);
    }
    if (Array.isArray(view) && view.length === 3) {
      const [viewKey, offset, size] = view;
      if (typeof viewKey !== 'string' || typeof offset !== 'number' || typeof size !== 'number') throw this.corrupt(`malformed storage view ${describe(view)}`);
      const viewRef: StorageRef = { pickleKind: 'storage', dtype, key, numel: size, viewOffset: offset, bytes: undefined };
      return viewRef;
    }
    return root;
  };

  private rebuildTensor(args: PickleValue[]): TorchTensor {
    const [storage, offset, size, stride] = args;
    if (!isPickleObject(storage) || storage.pickleKind !== 'storage') throw this.corrupt('a tensor is built from something that is not a storage');
    if (typeof offset !== 'number' || !isIntArray(size) || !isIntArray(stride) || size.length !== stride.length) {
      throw this.corrupt(`a tensor has an invalid offset/size/stride (${describe([offset ?? null, size ?? null, stride ?? null])})`);
    }
    const ref = storage as StorageRef;
    const tensor: TorchTensor = { pickleKind: 'tensor', dtype: ref.dtype, shape: size, data: new Float32Array(0) };
    this.pending.push({ tensor, storage: ref, offset: offset + ref.viewOffset, stride });
    return tensor;
  }

  private rebuildParameter(args: PickleValue[]): PickleValue {
    const [data] = args;
    if (!isTorchTensor(data)) throw this.corrupt('a parameter is built from something that is not a tensor');
    return data;
  }

  /** Copies every tensor's elements out of its storage, following offset and strides. */
  materialize(): void {
    for (const { tensor, storage, offset, stride } of this.pending) {
      const root = this.storages.get(storage.key);
      const bytes = root?.bytes;
      if (!root || !bytes) throw this.corrupt(`storage ${storage.key} is missing`);
      const values = decodeStorage(bytes, root.dtype, root.numel);
      tensor.data = gather(values, tensor.shape, stride, offset, () => this.corrupt(`a tensor reaches past the end of storage ${storage.key}`));
    }
  }

  setStorageBytes(key: string, bytes: Uint8Array): void {
    const ref = this.storages.get(key);
    if (!ref) return;
    const need = ref.numel * ELEMENT_SIZE[ref.dtype];
    if (bytes.length < need) throw new GanKitError('FILE_CORRUPT', `${this.source} is truncated: storage ${key} has ${bytes.length} bytes, expected ${need}`, { path: this.source });
    ref.bytes = bytes;
  }

  corrupt(what: string): GanKitError {
    return new GanKitError('FILE_CORRUPT', `${this.source} is not a valid PyTorch checkpoint: ${what}`, { path: this.source });
  }
}

/** The most bytes a checkpoint's `data.pkl` (the object pickle, without tensor data) may inflate to. */
const MAX_PICKLE_BYTES = 64 * 1024 * 1024;

function readZipCheckpoint(bytes: Uint8Array, source: string): TorchValue {
  let entries: ZipEntry[];
  try {
    entries = readZipEntries(bytes, source);
  } catch (error) {
    if (!GanKitError.isInstance(error)) throw error;
    throw new GanKitError('FILE_CORRUPT', `${source} is a damaged or truncated zip archive (${error.message})`, { path: source, cause: error });
  }
  // Nothing is inflated up front: data.pkl within a fixed bound, each storage within the size its tensor needs.
  const byName = new Map(entries.map((e) => [e.name, e] as const));
  const files = {} as Record<string, Uint8Array | undefined>;
  const entryBytes = (name: string, limit: number, describe?: (limit: number) => string): Uint8Array | undefined => {
    const entry = byName.get(name);
    return entry && zipEntryBytes(entry, `${source}[${name}]`, limit, describe);
  };
  for (const name of byName.keys()) {
    if (/^[^/]+\/data\.pkl$/.test(name)) files[name] = entryBytes(name, MAX_PICKLE_BYTES, (l) => `${l} bytes (the most a checkpoint's pickle may hold)`);
    else if (/^[^/]+\/byteorder$/.test(name)) files[name] = entryBytes(name, 64);
  }
  const pklName = Object.keys(files).find((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pklName === undefined) throw new GanKitError('FILE_CORRUPT', `${source} is a zip archive without <name>/data.pkl: not a PyTorch checkpoint`, { path: source });
  const prefix = pklName.slice(0, -'data.pkl'.length);
  const byteorder = files[`${prefix}byteorder`];
  if (byteorder && latin1(byteorder).trim() !== 'little') {
    throw new GanKitError('UNSUPPORTED_FORMAT', `${source} stores big-endian tensors; only little-endian checkpoints are supported`, { path: source });
  }
  const builder = new CheckpointBuilder(source);
  const pkl = files[pklName] ?? new Uint8Array(0);
  const { value } = unpickle(pkl, 0, { globals: builder.globals, persistentLoad: builder.persistentLoad, source });
  for (const [key, ref] of builder.storages) {
    const need = ref.numel * ELEMENT_SIZE[ref.dtype];
    const data = entryBytes(`${prefix}data/${key}`, need, (l) => `the ${l} bytes its tensors need (${ref.numel} ${ref.dtype} values)`);
    if (!data) throw builder.corrupt(`storage file ${prefix}data/${key} is missing`);
    builder.setStorageBytes(key, data);
  }
  builder.materialize();
  return value;
}

function readLegacyCheckpoint(bytes: Uint8Array, source: string): TorchValue {
  const plain = { globals: new Map<string, AllowedGlobal | PickleObject>(), source };
  const magic = unpickle(bytes, 0, plain);
  if (magic.value !== LEGACY_MAGIC) {
    throw new GanKitError('FILE_CORRUPT', `${source} is not a PyTorch checkpoint: wrong magic number`, { path: source });
  }
  const protocol = unpickle(bytes, magic.end, plain);
  if (protocol.value !== LEGACY_PROTOCOL) {
    throw new GanKitError('UNSUPPORTED_FORMAT', `${source} uses torch serialization protocol ${describe(protocol.value)}; expected ${LEGACY_PROTOCOL}`, { path: source });
  }
  const sysInfo = unpickle(bytes, protocol.end, plain);
  if (sysInfo.value instanceof Map && sysInfo.value.get('little_endian') === false) {
    throw new GanKitError('UNSUPPORTED_FORMAT', `${source} was saved on a big-endian machine; only little-endian checkpoints are supported`, { path: source });
  }
  const builder = new CheckpointBuilder(source);
  const main = unpickle(bytes, sysInfo.end, { globals: builder.globals, persistentLoad: builder.persistentLoad, source });
  const keys = unpickle(bytes, main.end, plain);
  if (!Array.isArray(keys.value) || !keys.value.every((k) => typeof k === 'string')) throw builder.corrupt('the storage key list is malformed');
  let offset = keys.end;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const key of keys.value) {
    const ref = builder.storages.get(key);
    if (!ref) throw builder.corrupt(`storage ${key} is listed but never used`);
    if (offset + 8 > bytes.length) throw new GanKitError('FILE_CORRUPT', `${source} is truncated: storage ${key} is missing`, { path: source });
    const numel = Number(view.getBigInt64(offset, true));
    const nbytes = numel * ELEMENT_SIZE[ref.dtype];
    offset += 8;
    if (numel < 0 || offset + nbytes > bytes.length) throw new GanKitError('FILE_CORRUPT', `${source} is truncated: storage ${key} needs ${nbytes} bytes`, { path: source });
    builder.setStorageBytes(key, bytes.subarray(offset, offset + nbytes));
    offset += nbytes;
  }
  builder.materialize();
  return main.value;
}

/** Decodes a little-endian storage into a typed array of `numel` elements. */
function decodeStorage(bytes: Uint8Array, dtype: TorchDType, numel: number): TorchTensorData {
  const nbytes = numel * ELEMENT_SIZE[dtype];
  const copy = bytes.slice(0, nbytes); // aligned copy
  switch (dtype) {
    case 'float32':
      return new Float32Array(copy.buffer, 0, numel);
    case 'float64':
      return new Float64Array(copy.buffer, 0, numel);
    case 'int64':
      return new BigInt64Array(copy.buffer, 0, numel);
    case 'int32':
      return new Int32Array(copy.buffer, 0, numel);
    case 'int16':
      return new Int16Array(copy.buffer, 0, numel);
    case 'int8':
      return new Int8Array(copy.buffer, 0, numel);
    case 'uint8':
    case 'bool':
      return copy;
    case 'float16':
      return Float32Array.from(new Uint16Array(copy.buffer, 0, numel), halfToFloat);
    case 'bfloat16': {
      const out = new Float32Array(numel);
      const bits = new Uint32Array(out.buffer);
      const halves = new Uint16Array(copy.buffer, 0, numel);
      for (let i = 0; i < numel; i++) bits[i] = (halves[i] ?? 0) << 16;
      return out;
    }
  }
}

/** IEEE 754 binary16 bits → number. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** Copies a strided view (shape, stride, offset) of `values` into a new row-major array of the same type. */
function gather(values: TorchTensorData, shape: number[], stride: number[], offset: number, outOfRange: () => GanKitError): TorchTensorData {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count === 0) return values.slice(0, 0);
  let last = offset;
  for (let d = 0; d < shape.length; d++) last += ((shape[d] ?? 1) - 1) * (stride[d] ?? 0);
  if (offset < 0 || last >= values.length) throw outOfRange();
  let contiguous = true;
  for (let d = shape.length - 1, expect = 1; d >= 0; d--) {
    if ((shape[d] ?? 1) !== 1 && stride[d] !== expect) contiguous = false;
    expect *= shape[d] ?? 1;
  }
  if (contiguous) return values.slice(offset, offset + count);
  const out = allocLike(values, count);
  const index = new Array<number>(shape.length).fill(0);
  let src = offset;
  for (let i = 0; i < count; i++) {
    out[i] = values[src] as never;
    for (let d = shape.length - 1; d >= 0; d--) {
      index[d] = (index[d] ?? 0) + 1;
      src += stride[d] ?? 0;
      if ((index[d] ?? 0) < (shape[d] ?? 1)) break;
      src -= (shape[d] ?? 1) * (stride[d] ?? 0);
      index[d] = 0;
    }
  }
  return out;
}

function allocLike(values: TorchTensorData, count: number): TorchTensorData {
  const Ctor = values.constructor as new (n: number) => TorchTensorData;
  return new Ctor(count);
}

function isIntArray(value: PickleValue | undefined): value is number[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0);
}

function keyText(key: TorchValue): string {
  return typeof key === 'string' || typeof key === 'number' || typeof key === 'bigint' ? String(key) : describe(key);
}

function latin1(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

function describe(value: PickleValue): string {
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Map ? '[dict]' : v));
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
