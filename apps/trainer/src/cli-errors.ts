import { GanKitError } from '@gankit/core';

/** What the CLI prints for a failure (one line unless `debug`) and its exit code: 2 for usage, 1 otherwise. */
export function describeFailure(error: unknown, debug: boolean): { text: string; exitCode: number } {
  if (GanKitError.isInstance(error)) {
    const usage = error.code === 'CONFIG_INVALID' || error.code === 'INVALID_ARGUMENT' || error.code === 'UNKNOWN_NAME';
    const prefix = error.code === 'OUT_OF_MEMORY' ? 'OUT_OF_MEMORY: ' : '';
    return { text: `gankit-train: ${prefix}${error.message}`, exitCode: usage ? 2 : 1 };
  }
  if (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
    return { text: `gankit-train: ${error.message}; see --help`, exitCode: 2 };
  }
  const oneLine = error instanceof Error ? `${error.name}: ${error.message.split('\n')[0] ?? ''}` : String(error);
  const detail = debug && error instanceof Error ? `\n${error.stack ?? ''}` : ' (run with GANKIT_DEBUG=1 for the stack trace)';
  return { text: `gankit-train: unexpected error: ${oneLine}${detail}`, exitCode: 1 };
}
