/** Every error code gankit raises; branch on `err.code`. */
export type GanKitErrorCode =
  | 'BACKEND_UNAVAILABLE'
  | 'DUPLICATE_TFJS'
  | 'INVALID_ARGUMENT'
  | 'SHAPE_MISMATCH'
  | 'UNKNOWN_NAME'
  | 'FILE_NOT_FOUND'
  | 'FILE_CORRUPT'
  | 'FILE_MISMATCH'
  | 'IO_ERROR'
  | 'PERMISSION_DENIED'
  | 'CONFIG_INVALID'
  | 'UNSUPPORTED_FORMAT'
  | 'DECODE_FAILED'
  | 'EMPTY_DATASET'
  | 'MISSING_DEPENDENCY'
  | 'MISSING_WEIGHTS'
  | 'UNSAFE_PICKLE'
  | 'NON_FINITE_LOSS'
  | 'OUTPUT_EXISTS'
  | 'INTERRUPTED'
  | 'NUMERIC_FAILURE'
  | 'OUT_OF_MEMORY'
  | 'UNSUPPORTED';

const brand = Symbol.for('gankit.error');

/** Options accepted by the `GanKitError` constructor. */
export interface GanKitErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
  /** The file the error is about, if any. */
  path?: string;
}

/** The one error class gankit throws: a stable `code`, a readable message, the `path` involved and the `cause`. */
export class GanKitError extends Error {
  readonly code: GanKitErrorCode;
  readonly path: string | undefined;
  private readonly [brand] = true;

  constructor(code: GanKitErrorCode, message: string, options: GanKitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GanKitError';
    this.code = code;
    this.path = options.path;
  }

  /** True for any GanKitError, even one created by another copy of this package. */
  static isInstance(error: unknown): error is GanKitError {
    return typeof error === 'object' && error !== null && brand in error && (error as Record<symbol, unknown>)[brand] === true;
  }
}

/** Wraps a Node file-system error into a GanKitError naming the path and what went wrong. */
export function fileError(path: string, action: string, cause: unknown): GanKitError {
  if (GanKitError.isInstance(cause)) return cause;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const reason = cause instanceof Error ? cause.message : String(cause);
  if (code === 'ENOENT') return new GanKitError('FILE_NOT_FOUND', `cannot ${action} ${path}: no such file or directory`, { path, cause });
  if (code === 'EACCES' || code === 'EPERM') return new GanKitError('PERMISSION_DENIED', `cannot ${action} ${path}: permission denied`, { path, cause });
  return new GanKitError('IO_ERROR', `cannot ${action} ${path}: ${reason}`, { path, cause });
}
