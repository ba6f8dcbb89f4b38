import { GanKitError } from '@gankit/core';
import { describe, expect, it } from 'vitest';
import { describeFailure } from './cli-errors';

describe('gankit-train failure lines', () => {
  it('prints one line per failure, the stack only with GANKIT_DEBUG', () => {
    expect(describeFailure(new GanKitError('CONFIG_INVALID', 'training.steps must be positive'), false)).toEqual({ text: 'gankit-train: training.steps must be positive', exitCode: 2 });
    expect(describeFailure(new GanKitError('OUT_OF_MEMORY', 'out of memory during the D step'), false)).toEqual({ text: 'gankit-train: OUT_OF_MEMORY: out of memory during the D step', exitCode: 1 });
    const unexpected = new TypeError('cannot read properties of undefined\nmore detail');
    const quiet = describeFailure(unexpected, false);
    expect(quiet).toEqual({ text: 'gankit-train: unexpected error: TypeError: cannot read properties of undefined (run with GANKIT_DEBUG=1 for the stack trace)', exitCode: 1 });
    const loud = describeFailure(unexpected, true);
    expect(loud.text.split('\n')[0]).toBe('gankit-train: unexpected error: TypeError: cannot read properties of undefined');
    expect(loud.text).toContain(unexpected.stack!);
  });
});
