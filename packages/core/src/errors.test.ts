import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { GanKitError, fileError, parseArgsError } from './errors';

describe('GanKitError', () => {
  it('carries a code, a path and a cause, and is recognised across copies by its brand', () => {
    const cause = new Error('inner');
    const error = new GanKitError('FILE_CORRUPT', 'bad file', { path: '/x', cause });
    expect(error.code).toBe('FILE_CORRUPT');
    expect(error.path).toBe('/x');
    expect(error.cause).toBe(cause);
    expect(GanKitError.isInstance(error)).toBe(true);
    expect(GanKitError.isInstance(new Error('plain'))).toBe(false);
    const foreign = Object.assign(new Error('x'), { [Symbol.for('gankit.error')]: true });
    expect(GanKitError.isInstance(foreign)).toBe(true);
  });

  it('maps file-system errors to codes that name the path', () => {
    const missing = fileError('/nope', 'read', Object.assign(new Error('x'), { code: 'ENOENT' }));
    expect(missing.code).toBe('FILE_NOT_FOUND');
    expect(missing.message).toContain('/nope');
    expect(fileError('/p', 'write', Object.assign(new Error('x'), { code: 'EACCES' })).code).toBe('PERMISSION_DENIED');
  });
});

describe('parseArgsError', () => {
  const options = { steps: { type: 'string' as const }, num: { type: 'string' as const, short: 'n' }, json: { type: 'boolean' as const } };
  const fail = (args: string[]): unknown => {
    try {
      parseArgs({ args, options, strict: true });
    } catch (error) {
      return parseArgsError(error, args);
    }
    throw new Error(`parseArgs accepted ${args.join(' ')}`);
  };
  const message = (args: string[]) => {
    const error = fail(args);
    expect(GanKitError.isInstance(error) && error.code).toBe('INVALID_ARGUMENT');
    const text = (error as GanKitError).message;
    expect(text).not.toContain('\n');
    return text;
  };

  it("turns Node's multi-line parseArgs errors into one INVALID_ARGUMENT line naming the option", () => {
    expect(message(['--steps', '-5'])).toBe('--steps got "-5", which starts with a dash and so reads as an option; write --steps=-5 if it is the value; see --help');
    expect(message(['-n', '-3'])).toBe('-n got "-3", which starts with a dash and so reads as an option; write --num=-3 if it is the value; see --help');
    expect(message(['--bogus'])).toBe('unknown option --bogus; see --help');
    expect(message(['--steps'])).toBe('--steps needs a value; see --help');
    expect(message(['--json=1'])).toBe("Option '--json' does not take an argument; see --help");
  });

  it('returns anything that is not a parseArgs error unchanged', () => {
    const other = new Error('x');
    expect(parseArgsError(other, [])).toBe(other);
  });
});
