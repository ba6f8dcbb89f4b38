import { homedir, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GanKitError, parseArgsError } from '@gankit/core';

/** The subcommands of `gankit-eval`. */
export type EvalCommand = 'fid' | 'is' | 'kid' | 'pr' | 'dc' | 'intra-fid' | 'ppl' | 'cas' | 'all' | 'stats' | 'merge-stats' | 'sample';

/** Which feature extractor to use. */
export type ExtractorName = 'inception' | 'mnist';

/** Parsed command-line options of `gankit-eval`. */
export interface EvalOptions {
  extractor: ExtractorName;
  weights: string | undefined;
  /** pytorch-fid's `--dims`: Inception feature size 64 | 192 | 768 | 2048. */
  dims: 64 | 192 | 768 | 2048;
  num: number | undefined;
  batchSize: number;
  seed: number;
  backend: 'auto' | 'gpu' | 'tensorflow' | 'wasm' | 'cpu';
  /** Decode concurrency of image folders (pytorch-fid's `--num-workers`). */
  workers: number;
  resize: 'legacy' | 'clean';
  json: boolean;
  /** How results are printed: gankit's table, one JSON object, or pytorch-fid's `FID:  <value>`. */
  format: 'table' | 'json' | 'pytorch-fid';
  /** Output format of `sample`. */
  sampleFormat: 'png' | 'idx' | 'npz';
  /** Reference-statistics cache folder, or undefined when off. */
  cache: string | undefined;
  out: string | undefined;
  /** `fid --save-stats A OUT`: write pytorch-fid statistics of A to OUT instead of computing a FID. */
  saveStats: boolean;
  /** Search image folders recursively (default: top level only, as pytorch-fid). */
  recursive: boolean;
  /** `stats --shard K/N`. */
  shard: { index: number; count: number } | undefined;
  force: boolean;
  labels: 'uniform' | 'per-class';
  truncation: number | undefined;
  splits: number;
  kidSubsets: number;
  kidSubsetSize: number;
  /** Whether --kid-subset-size was given (otherwise it shrinks to the sample count with a warning). */
  kidSubsetSizeGiven: boolean;
  k: number;
  dcK: number;
  epsilon: number;
  /** `ppl --space`: the latent space paths are drawn in; undefined = w for generators with a mapping network (stylegan2), else z. */
  space: 'z' | 'w' | undefined;
  progress: boolean;
}

/** A parsed command line: what to compute, on which inputs, with which options. */
export type ParsedArgs =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'run'; command: EvalCommand; inputs: string[]; options: EvalOptions };

const COMMANDS: Record<EvalCommand, { inputs: number | 'many'; args: string; summary: string }> = {
  fid: { inputs: 2, args: 'A B', summary: 'Fréchet Inception Distance between A and B (--save-stats A OUT: write statistics)' },
  is: { inputs: 1, args: 'A', summary: 'Inception Score of A' },
  kid: { inputs: 2, args: 'A B', summary: 'Kernel Inception Distance between A and B' },
  pr: { inputs: 2, args: 'A B', summary: 'precision and recall of B (fake) against A (real)' },
  dc: { inputs: 2, args: 'A B', summary: 'density and coverage of B (fake) against A (real)' },
  'intra-fid': { inputs: 2, args: 'A B', summary: 'mean per-class FID of labelled A and B (class folders, datasets, conditional generators)' },
  ppl: { inputs: 1, args: 'GEN', summary: 'perceptual path length of a generator (distance: extractor features)' },
  cas: { inputs: 3, args: 'TRAIN TEST GEN', summary: 'classification accuracy score: classifier trained on GEN, tested on TEST, next to TRAIN' },
  all: { inputs: 2, args: 'A B', summary: 'FID, IS (of B), KID, precision/recall, density/coverage from one feature pass' },
  stats: { inputs: 1, args: 'A', summary: 'write statistics of A (or of --shard K/N of it) to --out FILE.npz' },
  'merge-stats': { inputs: 'many', args: 'S1 S2 …', summary: 'merge shard statistics exactly into --out FILE.npz' },
  sample: { inputs: 1, args: 'GEN', summary: 'write --num generated images to --out DIR (--format png|idx|npz)' },
};

/** The `--help` text. */
export const USAGE = `Usage: gankit-eval <command> INPUTS [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(11)} ${c.args.padEnd(15)} ${c.summary}`)
  .join('\n')}

Inputs:
  DIR                 an image folder (bmp jpg jpeg pgm png ppm tif tiff webp; top level only unless --recursive;
                      class subfolders are labels for intra-fid and cas)
  FILE-images.idx[.gz] an IDX image file (MNIST layout, raw or gzipped; labels from the sibling labels file)
  FILE.npz            statistics (mu, sigma) for the FID reference side, uint8 images (+ labels) as \`sample\`
                      writes, or precomputed features [N, d] (+ labels)
  RUN_DIR | MODEL_DIR a gankit-train run folder or an exported generator (model.json):
                      samples --num images with --seed (EMA weights when present)
  mnist:train | mnist:test | fashion-mnist:train | fashion-mnist:test   named offline datasets

Options (pytorch-fid's names where it has them):
  --extractor inception|mnist  feature extractor (default inception; for 28x28 grayscale use mnist)
  --weights PATH       pytorch-fid Inception weights (pt_inception-2015-12-05-6726825d.pth);
                       default $GANKIT_INCEPTION_WEIGHTS
  --dims 64|192|768|2048  Inception features of pytorch-fid's block 0|1|2|3 (default 2048)
  --num N              a seeded random subset of N images of each input (--seed; default: all; 10000 for generators)
  --batch-size N       feature-extraction batch size (default 50)
  --seed N             seed of subsets, generator sampling and KID subsets (default 0)
  --device cpu|cuda[:N] pytorch-fid's device: cpu = wasm, cuda = tensorflow (tfjs-node-gpu)
  --backend B          auto (default), gpu (tfjs-node-gpu on a GPU, else fail), tensorflow, wasm or cpu
  --num-workers N      images decoded at once (default min(8, cores))
  --recursive          search image folders recursively
  --resize legacy|clean  pytorch-fid's bilinear resize (legacy, default) or clean-fid's
  --splits N           Inception Score splits (default 10)
  --kid-subsets N      KID subsets (default 100)   --kid-subset-size N (default 1000)
  --k N                k for precision/recall (default 3)   --dc-k N   k for density/coverage (default 5)
  --epsilon E          PPL step (default 1e-4)
  --space z|w          PPL paths: slerp in z, or lerp between mapped w's (stylegan2 only); default w for
                       stylegan2 generators, z otherwise
  --cache DIR          reference-statistics cache (default $GANKIT_CACHE_DIR or ~/.cache/gankit/eval)
  --no-cache           do not read or write the cache
  --save-stats         \`fid --save-stats A OUT\`: write pytorch-fid statistics of A to OUT (refuses an existing OUT)
  --shard K/N          \`stats\`: only shard K (0-based) of N equal parts of the input
  --out FILE|DIR       output of \`stats\`, \`merge-stats\` and \`sample\`
  --force              overwrite an existing --out
  --labels uniform|per-class  \`sample\`: class labels drawn at random or equally per class (default per-class)
  --truncation T       generator sampling: ψ toward the mean w for stylegan2 generators (1 = none, 0 = the
                       mean image); for the others redraw z components with |z| > T (0 = the mean latent)
  --format F           table|json|pytorch-fid (prints \`FID:  <value>\`); for \`sample\`: png|idx|npz
  --json               same as --format json
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

function parseShard(value: string | undefined): { index: number; count: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(value);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index >= count) throw usageError(`--shard must be K/N with 0 ≤ K < N (e.g. 0/4 … 3/4), got "${value}"`);
  return { index, count };
}

function defaultCacheDir(): string {
  if (process.env.GANKIT_CACHE_DIR) return process.env.GANKIT_CACHE_DIR;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'gankit', 'eval');
}

function deviceBackend(device: string | undefined): EvalOptions['backend'] | undefined {
  if (device === undefined) return undefined;
  if (device === 'cpu') return 'wasm';
  if (/^cuda(:\d+)?$/.test(device)) return 'tensorflow';
  throw usageError(`--device must be cpu, cuda or cuda:N, got "${device}"`);
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
        dims: { type: 'string' },
        num: { type: 'string' },
        'batch-size': { type: 'string' },
        seed: { type: 'string' },
        backend: { type: 'string' },
        device: { type: 'string' },
        'num-workers': { type: 'string' },
        recursive: { type: 'boolean' },
        resize: { type: 'string' },
        splits: { type: 'string' },
        'kid-subsets': { type: 'string' },
        'kid-subset-size': { type: 'string' },
        k: { type: 'string' },
        'dc-k': { type: 'string' },
        epsilon: { type: 'string' },
        space: { type: 'string' },
        cache: { type: 'string' },
        'no-cache': { type: 'boolean' },
        'save-stats': { type: 'boolean' },
        shard: { type: 'string' },
        out: { type: 'string' },
        force: { type: 'boolean' },
        labels: { type: 'string' },
        truncation: { type: 'string' },
        format: { type: 'string' },
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
  if (command === undefined) throw usageError(`missing command: one of ${Object.keys(COMMANDS).join(', ')}`);
  if (!(command in COMMANDS)) throw usageError(`unknown command "${command}": expected one of ${Object.keys(COMMANDS).join(', ')}`);
  const spec = COMMANDS[command as EvalCommand];
  if (spec.inputs === 'many' ? inputs.length < 1 : inputs.length !== spec.inputs) {
    const want = spec.inputs === 'many' ? 'one or more inputs' : spec.inputs === 1 ? 'one input' : `${spec.inputs} inputs`;
    throw usageError(`\`${command}\` takes ${want} (${spec.args}), got ${inputs.length}`);
  }
  const seed = v.seed === undefined ? 0 : Number(v.seed);
  if (!Number.isInteger(seed) || seed < 0) throw usageError(`--seed must be a non-negative integer, got "${v.seed}"`);
  if (['stats', 'merge-stats', 'sample'].includes(command) && v.out === undefined) throw usageError(`\`${command}\` needs --out ${command === 'sample' ? 'DIR' : 'FILE.npz'}`);
  if (v['save-stats'] && command !== 'fid') throw usageError('--save-stats goes with `fid` (fid --save-stats A OUT)');
  if (v.shard !== undefined && command !== 'stats') throw usageError('--shard goes with `stats` (stats A --shard K/N --out FILE.npz)');
  const weights = v.weights ?? process.env.GANKIT_INCEPTION_WEIGHTS;
  const dims = Number(oneOf('dims', v.dims, ['64', '192', '768', '2048'] as const, '2048')) as EvalOptions['dims'];
  const extractor = oneOf('extractor', v.extractor, ['inception', 'mnist'] as const, 'inception');
  if (v.dims !== undefined && extractor !== 'inception') throw usageError('--dims selects Inception features; the mnist extractor has 128');
  const isSample = command === 'sample';
  const format = isSample ? (v.json ? 'json' : 'table') : oneOf('format', v.format, ['table', 'json', 'pytorch-fid'] as const, v.json ? 'json' : 'table');
  if (format === 'pytorch-fid' && command !== 'fid') throw usageError('--format pytorch-fid prints `FID:  <value>` and goes with `fid`');
  const truncation = v.truncation === undefined ? undefined : Number(v.truncation);
  if (truncation !== undefined && !(truncation >= 0 && Number.isFinite(truncation))) throw usageError(`--truncation must be a number ≥ 0 (ψ for stylegan2 generators, a z threshold for the others), got "${v.truncation}"`);
  const epsilon = v.epsilon === undefined ? 1e-4 : Number(v.epsilon);
  if (!(epsilon > 0)) throw usageError(`--epsilon must be a positive number, got "${v.epsilon}"`);
  if (v.space !== undefined && command !== 'ppl') throw usageError('--space goes with `ppl` (ppl GEN --space z|w)');
  const space = v.space === undefined ? undefined : oneOf('space', v.space, ['z', 'w'] as const, 'z');
  const backend = deviceBackend(v.device) ?? oneOf('backend', v.backend, ['auto', 'gpu', 'tensorflow', 'wasm', 'cpu'] as const, 'auto');
  return {
    kind: 'run',
    command: command as EvalCommand,
    inputs,
    options: {
      extractor,
      weights: weights === '' ? undefined : weights,
      dims,
      num: positiveInt('num', v.num, undefined),
      batchSize: positiveInt('batch-size', v['batch-size'], 50),
      seed,
      backend,
      workers: positiveInt('num-workers', v['num-workers'], Math.min(8, availableParallelism())),
      resize: oneOf('resize', v.resize, ['legacy', 'clean'] as const, 'legacy'),
      json: format === 'json',
      format,
      sampleFormat: isSample ? oneOf('format', v.format, ['png', 'idx', 'npz'] as const, 'png') : 'png',
      cache: v['no-cache'] ? undefined : (v.cache ?? defaultCacheDir()),
      out: v.out,
      saveStats: v['save-stats'] ?? false,
      recursive: v.recursive ?? false,
      shard: parseShard(v.shard),
      force: v.force ?? false,
      labels: oneOf('labels', v.labels, ['uniform', 'per-class'] as const, 'per-class'),
      truncation,
      splits: positiveInt('splits', v.splits, 10),
      kidSubsets: positiveInt('kid-subsets', v['kid-subsets'], 100),
      kidSubsetSize: positiveInt('kid-subset-size', v['kid-subset-size'], 1000),
      kidSubsetSizeGiven: v['kid-subset-size'] !== undefined,
      k: positiveInt('k', v.k, 3),
      dcK: positiveInt('dc-k', v['dc-k'], 5),
      epsilon,
      space,
      progress: !(v['no-progress'] ?? false),
    },
  };
}
