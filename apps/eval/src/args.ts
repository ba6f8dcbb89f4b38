import { parseArgs } from 'node:util';
import { GanKitError, parseArgsError } from '@gankit/core';

/** The subcommands of `gankit-eval`. */
export type EvalCommand = 'fid' | 'is' | 'kid' | 'pr' | 'all' | 'stats';

/** Which feature extractor to use. */
export type ExtractorName = 'inception' | 'mnist';

/** Parsed command-line options of `gankit-eval`. */
export interface EvalOptions {
  extractor: ExtractorName;
  weights: string | undefined;
  num: number | undefined;
  batchSize: number;
  seed: number;
  backend: 'auto' | 'gpu' | 'tensorflow' | 'wasm' | 'cpu';
  resize: 'legacy' | 'clean';
  json: boolean;
  cache: string | undefined;
  out: string | undefined;
  splits: number;
  kidSubsets: number;
  kidSubsetSize: number;
  k: number;
  progress: boolean;
}

/** A parsed command line: what to compute, on which inputs, with which options. */
export type ParsedArgs =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'run'; command: EvalCommand; inputs: string[]; options: EvalOptions };

const COMMANDS: Record<EvalCommand, { inputs: 1 | 2; summary: string }> = {
  fid: { inputs: 2, summary: 'Fréchet Inception Distance between A and B' },
  is: { inputs: 1, summary: 'Inception Score of A' },
  kid: { inputs: 2, summary: 'Kernel Inception Distance between A and B' },
  pr: { inputs: 2, summary: 'precision and recall of B (fake) against A (real)' },
  all: { inputs: 2, summary: 'every metric from one feature pass (IS of B)' },
  stats: { inputs: 1, summary: 'write pytorch-fid-format statistics (mu, sigma) of A to --out FILE.npz' },
};

/** The `--help` text. */
export const USAGE = `Usage: gankit-eval <command> A [B] [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(6)} ${c.inputs === 2 ? 'A B' : 'A  '}  ${c.summary}`)
  .join('\n')}

Inputs (A, B):
  DIR                 an image folder (PNG/JPEG/WebP, searched recursively)
  FILE-images.idx[.gz] an IDX image file (MNIST layout, raw or gzipped)
  FILE.npz            pytorch-fid statistics (mu, sigma): FID reference side only
  RUN_DIR | MODEL_DIR a gankit-train run folder or an exported generator (model.json):
                      samples --num images with --seed (EMA weights when present)
  mnist:train | mnist:test | fashion-mnist:train | fashion-mnist:test   named offline datasets

Options:
  --extractor inception|mnist  feature extractor (default inception; for 28x28 grayscale use mnist)
  --weights PATH       pytorch-fid Inception weights (pt_inception-2015-12-05-6726825d.pth);
                       default $GANKIT_INCEPTION_WEIGHTS
  --num N              number of images to use from each input (default: all; 10000 for generators)
  --batch-size N       feature-extraction batch size (default 50)
  --seed N             seed for generator sampling and KID subsets (default 0)
  --backend B          auto (default), gpu (tfjs-node-gpu on a GPU, else fail), tensorflow, wasm or cpu
  --resize legacy|clean  pytorch-fid's bilinear resize (legacy, default) or clean-fid's
  --splits N           Inception Score splits (default 10)
  --kid-subsets N      KID subsets (default 100)   --kid-subset-size N (default 1000)
  --k N                k for precision/recall (default 3)
  --cache DIR          cache reference statistics by input fingerprint + settings
  --out FILE           output file for \`stats\`
  --json               print one JSON object instead of a table
  --no-progress        no progress bar
  -h, --help           this help            -v, --version   the version`;

function usageError(message: string): GanKitError {
  return new GanKitError('INVALID_ARGUMENT', `${message} (see gankit-eval --help)`);
}

function positiveInt(name: string, value: string | undefined, fallback: number): number;
function positiveInt(name: string, value: string | undefined, fallback: undefined): number | undefined;
function positiveInt(name: string, value: string | undefined, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw usageError(`--${name} must be a positive integer, got "${value}"`);
  return n;
}

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw usageError(`--${name} must be one of ${allowed.join(', ')}, got "${value}"`);
}

/** Parses `gankit-eval` arguments; bad usage throws a GanKitError with code INVALID_ARGUMENT. */
export function parseEvalArgs(argv: string[]): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        extractor: { type: 'string' },
        weights: { type: 'string' },
        num: { type: 'string' },
        'batch-size': { type: 'string' },
        seed: { type: 'string' },
        backend: { type: 'string' },
        resize: { type: 'string' },
        splits: { type: 'string' },
        'kid-subsets': { type: 'string' },
        'kid-subset-size': { type: 'string' },
        k: { type: 'string' },
        cache: { type: 'string' },
        out: { type: 'string' },
        json: { type: 'boolean' },
        'no-progress': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (error) {
    throw parseArgsError(error, argv, ' (see gankit-eval --help)');
  }
  const { values: v, positionals } = parsed;
  if (v.help) return { kind: 'help' };
  if (v.version) return { kind: 'version' };
  const [command, ...inputs] = positionals;
  if (command === undefined) throw usageError('missing command: one of fid, is, kid, pr, all, stats');
  if (!(command in COMMANDS)) throw usageError(`unknown command "${command}": expected one of ${Object.keys(COMMANDS).join(', ')}`);
  const spec = COMMANDS[command as EvalCommand];
  if (inputs.length !== spec.inputs) {
    throw usageError(`\`${command}\` takes ${spec.inputs === 2 ? 'two inputs (A B)' : 'one input (A)'}, got ${inputs.length}`);
  }
  const seed = v.seed === undefined ? 0 : Number(v.seed);
  if (!Number.isInteger(seed) || seed < 0) throw usageError(`--seed must be a non-negative integer, got "${v.seed}"`);
  if (command === 'stats' && v.out === undefined) throw usageError('`stats` needs --out FILE.npz');
  const weights = v.weights ?? process.env.GANKIT_INCEPTION_WEIGHTS;
  return {
    kind: 'run',
    command: command as EvalCommand,
    inputs,
    options: {
      extractor: oneOf('extractor', v.extractor, ['inception', 'mnist'] as const, 'inception'),
      weights: weights === '' ? undefined : weights,
      num: positiveInt('num', v.num, undefined),
      batchSize: positiveInt('batch-size', v['batch-size'], 50),
      seed,
      backend: oneOf('backend', v.backend, ['auto', 'gpu', 'tensorflow', 'wasm', 'cpu'] as const, 'auto'),
      resize: oneOf('resize', v.resize, ['legacy', 'clean'] as const, 'legacy'),
      json: v.json ?? false,
      cache: v.cache,
      out: v.out,
      splits: positiveInt('splits', v.splits, 10),
      kidSubsets: positiveInt('kid-subsets', v['kid-subsets'], 100),
      kidSubsetSize: positiveInt('kid-subset-size', v['kid-subset-size'], 1000),
      k: positiveInt('k', v.k, 3),
      progress: !(v['no-progress'] ?? false),
    },
  };
}
