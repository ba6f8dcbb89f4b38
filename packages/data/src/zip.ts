// A zip directory reader for .npz and PyTorch checkpoints: it lists entries without inflating anything, so each
// entry can be inflated within the size its content's own header implies (see inflate.ts).
import { GanKitError } from '@gankit/core';
import { inflateBounded } from './inflate';

/** One entry of a zip archive; `data` is its stored (possibly deflated) bytes inside the archive. */
export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate. */
  method: number;
  /** Uncompressed size the directory declares. */
  size: number;
  /** The entry's bytes as stored in the archive (compressed when `method` is 8). */
  data: Uint8Array;
}

const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** Lists the entries of the zip archive in `bytes` (zip64 included) without inflating them; errors name `where`. */
export function readZipEntries(bytes: Uint8Array, where: string): ZipEntry[] {
  try {
    return listEntries(bytes, where);
  } catch (error) {
    if (error instanceof RangeError) {
      throw new GanKitError('FILE_CORRUPT', `${where} is not a valid zip archive: a directory record runs past the end of the file`, { path: where, cause: error });
    }
    throw error;
  }
}

function listEntries(bytes: Uint8Array, where: string): ZipEntry[] {
  const corrupt = (why: string) => new GanKitError('FILE_CORRUPT', `${where} is not a valid zip archive: ${why}`, { path: where });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);
  const u64 = (at: number) => {
    const v = view.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt('a zip64 size is out of range');
    return Number(v);
  };
  let eocd = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 65535); at--) {
    if (u32(at) === EOCD) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) throw corrupt('no end-of-central-directory record (truncated?)');
  let count = u16(eocd + 10);
  let dirSize = u32(eocd + 12);
  let dirOffset = u32(eocd + 16);
  if ((count === 0xffff || dirSize === 0xffffffff || dirOffset === 0xffffffff) && eocd >= 20 && u32(eocd - 20) === EOCD64_LOCATOR) {
    const record = u64(eocd - 20 + 8);
    if (record + 56 > bytes.length || u32(record) !== EOCD64) throw corrupt('the zip64 end record is missing');
    count = u64(record + 32);
    dirSize = u64(record + 40);
    dirOffset = u64(record + 48);
  }
  if (dirOffset + dirSize > bytes.length) throw corrupt(`the central directory (${dirSize} bytes at ${dirOffset}) runs past the end of the file (${bytes.length} bytes)`);
  const entries: ZipEntry[] = [];
  let at = dirOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > bytes.length || u32(at) !== CENTRAL) throw corrupt(`central directory entry ${i} is damaged`);
    const method = u16(at + 10);
    let compressed = u32(at + 20);
    let size = u32(at + 24);
    const nameLength = u16(at + 28);
    const extraLength = u16(at + 30);
    const commentLength = u16(at + 32);
    let local = u32(at + 42);
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
    // zip64: the sizes and offset that are 0xFFFFFFFF above are in extra field 0x0001, in this order.
    for (let e = at + 46 + nameLength; e + 4 <= at + 46 + nameLength + extraLength; ) {
      const id = u16(e);
      const length = u16(e + 2);
      if (id === 0x0001) {
        let f = e + 4;
        if (size === 0xffffffff) {
          size = u64(f);
          f += 8;
        }
        if (compressed === 0xffffffff) {
          compressed = u64(f);
          f += 8;
        }
        if (local === 0xffffffff) local = u64(f);
      }
      e += 4 + length;
    }
    if (local + 30 > bytes.length || u32(local) !== LOCAL) throw corrupt(`the local header of ${name} is missing`);
    const start = local + 30 + u16(local + 26) + u16(local + 28);
    if (start + compressed > bytes.length) throw corrupt(`entry ${name} claims ${compressed} compressed bytes, more than the file holds`);
    entries.push({ name, method, size, data: bytes.subarray(start, start + compressed) });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/**
 * The uncompressed bytes of a zip entry, inflated within `limit` (bytes, or a function of the entry's first bytes;
 * see `inflateBounded`) and never past the size the directory declares.
 */
export function zipEntryBytes(entry: ZipEntry, where: string, limit?: number | ((head: Uint8Array) => number | undefined), describeLimit?: (limit: number) => string): Uint8Array {
  if (entry.method === 0) return entry.data;
  if (entry.method !== 8) {
    throw new GanKitError('UNSUPPORTED_FORMAT', `${where}: zip entry ${entry.name} uses compression method ${entry.method} (expected stored or deflate)`, { path: where });
  }
  const declared = entry.size;
  const bound =
    limit === undefined ? declared : typeof limit === 'number' ? Math.min(limit, declared) : (head: Uint8Array) => {
      const l = limit(head);
      return l === undefined ? undefined : Math.min(l, declared);
    };
  const describe = (l: number) => (l === declared ? `the ${declared} bytes the zip directory declares` : describeLimit ? describeLimit(l) : `the ${l} bytes its header implies`);
  return inflateBounded(entry.data, { format: 'deflate', where, limit: bound, describeLimit: describe });
}
