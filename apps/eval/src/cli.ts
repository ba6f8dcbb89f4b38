#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { GanKitError, outOfMemoryError, snakeCaseKeys } from '@gankit/core';
import { parseEvalArgs, USAGE } from './args';
import { evaluate } from './evaluate';
import { ProgressBar } from './progress';
import { formatPytorchFid, formatTable } from './report';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Runs gankit-eval with `argv`; returns the process exit code. */
async function main(argv: string[]): Promise<number> {
  const parsed = parseEvalArgs(argv);
  if (parsed.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (parsed.kind === 'version') {
    process.stdout.write(`gankit-eval ${version()}\n`);
    return 0;
  }
  const { command, inputs, options } = parsed;
  const progress = new ProgressBar(process.stderr, options.progress && process.stderr.isTTY === true);
  const report = await evaluate(command, inputs, options, {
    progress,
    onWarning: (message) => {
      progress.done();
      process.stderr.write(`gankit-eval: warning: ${message}\n`);
    },
  });
  progress.done();
  const text = options.format === 'pytorch-fid' ? formatPytorchFid(report) : options.json ? JSON.stringify(snakeCaseKeys(report)) : formatTable(report);
  process.stdout.write(`${text}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (caught: unknown) => {
    const error = outOfMemoryError(caught, 'the evaluation', 'lower --batch-size or --num, or evaluate on @tensorflow/tfjs-node, which has no 4 GiB limit') ?? caught;
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${process.stderr.isTTY ? '\n' : ''}gankit-eval: error: ${message.split('\n')[0]}\n`);
    if (process.env.GANKIT_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    process.exitCode = GanKitError.isInstance(error) && error.code === 'INVALID_ARGUMENT' ? 2 : 1;
  },
);
