// Bounded inflation of untrusted compressed data (IDX .gz, npz members, .pth zip entries): the data is inflated as
// a stream and the size its own header implies caps the output, so a small file that would inflate to gigabytes
// (a decompression bomb) is refused after a few megabytes instead of after it has filled memory.
import { constants, gunzipSync, inflateRawSync, type ZlibOptions } from 'node:zlib';
import { GanKitError } from '@gankit/core';

/** Options for `inflateBounded`. */
export interface InflateBoundedOptions {
  /** `gzip` (a .gz file) or `deflate` (raw deflate, as in zip entries). */
  format: 'gzip' | 'deflate';
  /**
   * The most output bytes allowed: a number, or a function of the first output bytes (the data's own header) that
   * returns `undefined` while it needs more of them.
   */
  limit: number | ((head: Uint8Array) => number | undefined);
  /** Names the data in errors (a path, or `file.npz[member]`). */
  where: string;
  /** What the limit is, for the error, e.g. `the 7840 data bytes its dimensions need`. */
  describeLimit?: (limit: number) => string;
}

/** Compressed bytes inflated to find the header: deflate expands at most ~1032:1, so this yields at most ~4 MB. */
const PROBE_INPUT = 4096;
/** Bytes a limit may be exceeded by before the stream is stopped (zlib's output chunk). */
const SLACK = 64 * 1024;

function isTooLarge(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE';
}

/**
 * Inflates `input` as a stream (zlib, in chunks) and stops with `FILE_CORRUPT` as soon as the output passes the
 * size that `options.limit` gives, so peak memory stays near the legitimate size whatever the stream would expand
 * to. Truncated or damaged streams are `FILE_CORRUPT` too.
 */
export function inflateBounded(input: Uint8Array, options: InflateBoundedOptions): Uint8Array {
  const { where, format } = options;
  const run = (data: Uint8Array, zlibOptions: ZlibOptions): Uint8Array => (format === 'gzip' ? gunzipSync(data, zlibOptions) : inflateRawSync(data, zlibOptions));
  const damaged = (error: unknown): GanKitError =>
    GanKitError.isInstance(error) ? error : new GanKitError('FILE_CORRUPT', `${where}: ${format} data is truncated or damaged (${(error as Error).message})`, { path: where, cause: error });
  let limit = typeof options.limit === 'number' ? options.limit : undefined;
  // The header: inflate a growing prefix of the input (a cut stream is accepted with Z_SYNC_FLUSH) until it answers.
  for (let prefix = PROBE_INPUT; limit === undefined; prefix *= 4) {
    const end = Math.min(input.length, prefix);
    let head: Uint8Array;
    try {
      head = run(input.subarray(0, end), { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: Math.max(prefix * 1100, 1 << 20) });
    } catch (error) {
      throw damaged(error);
    }
    limit = (options.limit as (head: Uint8Array) => number | undefined)(head);
    if (limit === undefined && end === input.length) {
      limit = head.length; // the stream ends inside the header: the caller's parser reports it
    }
  }
  const allowed = limit;
  try {
    return run(input, { maxOutputLength: Math.max(1, allowed + SLACK) }).subarray(0);
  } catch (error) {
    if (isTooLarge(error)) {
      const what = options.describeLimit ? options.describeLimit(allowed) : `the ${allowed} bytes its header implies`;
      throw new GanKitError('FILE_CORRUPT', `${where} inflates past ${what}: refusing a decompression bomb`, { path: where, cause: error });
    }
    throw damaged(error);
  }
}
