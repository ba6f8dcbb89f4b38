import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { afterAll, describe, expect, it } from 'vitest';
import { EventFileWriter } from './tensorboard';

// An independent reader: the message layouts below are copied from TensorFlow's public
// tensorflow/core/util/event.proto and tensorflow/core/framework/summary.proto (only the fields used here),
// decoded by protobufjs; the CRC is a bitwise CRC-32C (not the table-driven one of the writer).
const schema = `
syntax = "proto3";
package tensorflow;
message Event {
  double wall_time = 1;
  int64 step = 2;
  oneof what { string file_version = 3; bytes graph_def = 4; Summary summary = 5; }
}
message Summary {
  message Image { int32 height = 1; int32 width = 2; int32 colorspace = 3; bytes encoded_image_string = 4; }
  message Value {
    string node_name = 7;
    string tag = 1;
    oneof value { float simple_value = 2; bytes obsolete_old_style_histogram = 3; Image image = 4; }
  }
  repeated Value value = 1;
}`;
const Event = protobuf.parse(schema).root.lookupType('tensorflow.Event');

function bitwiseCrc32c(bytes: Uint8Array): number {
  let crc = ~0 >>> 0;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}
function masked(bytes: Uint8Array): number {
  const c = bitwiseCrc32c(bytes);
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
}

function readRecords(buf: Uint8Array): Uint8Array[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < buf.length) {
    const len = Number(view.getBigUint64(at, true));
    expect(view.getUint32(at + 8, true)).toBe(masked(buf.subarray(at, at + 8)));
    const data = buf.subarray(at + 12, at + 12 + len);
    expect(view.getUint32(at + 12 + len, true)).toBe(masked(data));
    out.push(data);
    at += 16 + len;
  }
  return out;
}

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('TensorBoard event files', () => {
  it('the bitwise CRC-32C of the reader matches the standard check value', () => {
    expect(bitwiseCrc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
  });

  it('writes scalars and PNG images that an independent protobuf reader parses back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gankit-tb-'));
    dirs.push(dir);
    const writer = await EventFileWriter.create(dir);
    await writer.scalars(10, { 'loss/d': 1.25, 'loss/g': -0.5, nan: Number.NaN });
    await writer.scalars(2 ** 33, { big: 3 });
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 250]);
    await writer.image(20, 'samples', png, 28, 56, 1);
    await writer.close();

    const files = await readdir(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^events\.out\.tfevents\.\d+\./);
    const records = readRecords(await readFile(join(dir, files[0]!)));
    const events = records.map((r) => Event.toObject(Event.decode(r), { longs: Number, bytes: Array })) as {
      wallTime: number;
      step?: number;
      fileVersion?: string;
      summary?: { value: { tag: string; simpleValue?: number; image?: { height: number; width: number; colorspace: number; encodedImageString: number[] } }[] };
    }[];
    expect(events).toHaveLength(4);
    expect(events[0]!.fileVersion).toBe('brain.Event:2');
    expect(events[0]!.wallTime).toBeGreaterThan(1.7e9);
    expect(events[1]!.step).toBe(10);
    expect(events[1]!.summary!.value.map((v) => [v.tag, v.simpleValue])).toEqual([
      ['loss/d', 1.25],
      ['loss/g', -0.5],
    ]);
    expect(events[2]!.step).toBe(2 ** 33);
    const image = events[3]!.summary!.value[0]!;
    expect(image.tag).toBe('samples');
    expect(image.image).toMatchObject({ height: 28, width: 56, colorspace: 1 });
    expect(image.image!.encodedImageString).toEqual([...png]);
  });
});
