import { open, mkdir } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileError } from '@gankit/core';

// TensorBoard reads "event files": a sequence of TFRecords, each holding one serialized `tensorflow.Event`
// protobuf (tensorflow/core/util/event.proto, tensorflow/core/framework/summary.proto). Both formats are small,
// so they are encoded here by hand: tfjs-node (which ships a writer) may be absent.

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli), the checksum TFRecord uses. */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (CRC32C_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: rotate right by 15 and add a constant, so CRCs of CRCs stay distinct. */
export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = crc32c(bytes);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** Frames one record: uint64 length, masked CRC of the length, data, masked CRC of the data (little endian). */
export function tfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

/** A minimal protobuf writer: varints, fixed 32/64-bit, length-delimited fields. */
class ProtoWriter {
  private readonly parts: number[] = [];

  private varint(value: number | bigint): void {
    let v = BigInt(value);
    if (v < 0n) v += 1n << 64n;
    while (v >= 0x80n) {
      this.parts.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.parts.push(Number(v));
  }

  private tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  int(field: number, value: number): this {
    this.tag(field, 0);
    this.varint(value);
    return this;
  }

  double(field: number, value: number): this {
    this.tag(field, 1);
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setFloat64(0, value, true);
    this.parts.push(...bytes);
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, 5);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.parts.push(...bytes);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, 2);
    this.varint(value.length);
    for (const b of value) this.parts.push(b);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** One `Summary.Value`: a scalar (`simple_value`) or a PNG image (`Summary.Image`). */
export type SummaryValue =
  | { tag: string; scalar: number }
  | { tag: string; png: Uint8Array; height: number; width: number; channels: 1 | 3 | 4 };

function encodeValue(value: SummaryValue): Uint8Array {
  const w = new ProtoWriter().string(1, value.tag);
  if ('scalar' in value) return w.float(2, value.scalar).finish();
  // Summary.Image: height = 1, width = 2, colorspace = 3, encoded_image_string = 4.
  const image = new ProtoWriter().int(1, value.height).int(2, value.width).int(3, value.channels).bytes(4, value.png).finish();
  return w.bytes(4, image).finish();
}

/** Encodes a `tensorflow.Event` (wall_time = 1, step = 2, file_version = 3, summary = 5). */
export function encodeEvent(event: { wallTime: number; step: number; fileVersion?: string; values?: SummaryValue[] }): Uint8Array {
  const w = new ProtoWriter().double(1, event.wallTime).int(2, event.step);
  if (event.fileVersion !== undefined) w.string(3, event.fileVersion);
  if (event.values) {
    const summary = new ProtoWriter();
    for (const value of event.values) summary.bytes(1, encodeValue(value));
    w.bytes(5, summary.finish());
  }
  return w.finish();
}

/** Appends scalars and images to a TensorBoard event file (`events.out.tfevents.<time>.<host>`) in `dir`. */
export class EventFileWriter {
  private constructor(
    private readonly handle: FileHandle,
    /** Path of the event file. */
    readonly path: string,
  ) {}

  /** Creates a new event file in `dir` and writes its `brain.Event:2` header. */
  static async create(dir: string): Promise<EventFileWriter> {
    const now = Date.now() / 1000;
    const path = join(dir, `events.out.tfevents.${Math.floor(now)}.${hostname()}.${process.pid}`);
    try {
      await mkdir(dir, { recursive: true });
      const writer = new EventFileWriter(await open(path, 'a'), path);
      await writer.append(encodeEvent({ wallTime: now, step: 0, fileVersion: 'brain.Event:2' }));
      return writer;
    } catch (error) {
      throw fileError(path, 'create TensorBoard event file', error);
    }
  }

  private async append(event: Uint8Array): Promise<void> {
    await this.handle.write(tfRecord(event));
  }

  /** Writes scalars for one step. */
  async scalars(step: number, values: Record<string, number>): Promise<void> {
    const list = Object.entries(values)
      .filter(([, v]) => Number.isFinite(v))
      .map(([tag, scalar]) => ({ tag, scalar }));
    if (list.length) await this.append(encodeEvent({ wallTime: Date.now() / 1000, step, values: list }));
  }

  /** Writes one PNG image for one step. */
  async image(step: number, tag: string, png: Uint8Array, height: number, width: number, channels: 1 | 3 | 4): Promise<void> {
    await this.append(encodeEvent({ wallTime: Date.now() / 1000, step, values: [{ tag, png, height, width, channels }] }));
  }

  /** Flushes to disk. */
  async flush(): Promise<void> {
    await this.handle.sync();
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    await this.handle.sync().catch(() => undefined);
    await this.handle.close();
  }
}
