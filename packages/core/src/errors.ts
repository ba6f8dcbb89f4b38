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

/**
 * Turns an error thrown by `node:util` `parseArgs` (several lines, Node's wording) into one `INVALID_ARGUMENT` line
 * naming the option and what was expected; `argv` is what was parsed, `suffix` ends the line (where to read more).
 * Anything else is returned unchanged.
 */
export function parseArgsError(error: unknown, argv: readonly string[], suffix = '; see --help'): unknown {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  if (!code.startsWith('ERR_PARSE_ARGS')) return error;
  const message = error instanceof Error ? error.message : String(error);
  const ambiguous = /^Option '([^']+)' argument is ambiguous/.exec(message);
  if (ambiguous) {
    // Node names the option as `--steps` or `-n, --num`; report it the way the user wrote it.
    const names = (ambiguous[1] as string).split(/[ ,]+/).filter((n) => n.startsWith('-'));
    const at = argv.findIndex((a) => names.includes(a));
    const option = at >= 0 ? (argv[at] as string) : (names.at(-1) ?? 'the option');
    const value = at >= 0 ? argv[at + 1] : undefined;
    // `-n=-3` is not valid, `--num=-3` is: Node's own hint names the long form.
    const long = /use '(--[^=' ]+)=-XYZ'/.exec(message)?.[1] ?? names.find((n) => n.startsWith('--')) ?? option;
    return new GanKitError(
      'INVALID_ARGUMENT',
      value === undefined
        ? `${option} needs a value; a value starting with a dash is written ${long}=-VALUE${suffix}`
        : `${option} got "${value}", which starts with a dash and so reads as an option; write ${long}=${value} if it is the value${suffix}`,
      { cause: error },
    );
  }
  const unknown = /^Unknown option '([^']+)'/.exec(message);
  if (unknown) return new GanKitError('INVALID_ARGUMENT', `unknown option ${unknown[1]}${suffix}`, { cause: error });
  const missing = /^Option '(-{1,2}[^' ]+)(?: <value>)?' argument missing/.exec(message);
  if (missing) return new GanKitError('INVALID_ARGUMENT', `${missing[1]} needs a value${suffix}`, { cause: error });
  // Other parseArgs errors: the first sentence of Node's message, on one line.
  const first = message.split('\n')[0]?.replace(/\.$/, '') ?? message;
  return new GanKitError('INVALID_ARGUMENT', `${first}${suffix}`, { cause: error });
}
