import { describe, expect, it } from 'vitest';
import { GanKitError, fileError } from './errors';

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
