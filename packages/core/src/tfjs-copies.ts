// Finds the copies of @tensorflow/tfjs-core loaded in this process. Two copies share one engine but not their
// layer/class registries, so a model saved with gankit's layers fails to load in the other ("Unknown layer").
import * as tf from '@tensorflow/tfjs-core';
import { GanKitError } from './errors';

/** One loaded copy of `@tensorflow/tfjs-core`. */
export interface TfjsCoreCopy {
  /** Its `package.json` version. */
  version: string;
  /** The package folder it was loaded from. */
  path: string;
  /** True for the copy gankit itself imports. */
  gankit: boolean;
}

/** The version of `@tensorflow/tfjs-core` gankit is built and tested against (its peer dependency). */
export const TFJS_CORE_VERSION = '4.22.0';

interface NodeModuleApi {
  createRequire(url: string): NodeJS.Require;
}
interface NodeFsApi {
  readFileSync(path: string, encoding: 'utf8'): string;
}

function builtin<T>(id: string): T | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return proc?.getBuiltinModule?.(id) as T | undefined;
}

/**
 * Every copy of `@tensorflow/tfjs-core` loaded so far in this Node process (read from the module cache), gankit's
 * first. Outside Node (or on a Node without `process.getBuiltinModule`) only gankit's own copy is known.
 */
export function loadedTfjsCoreCopies(): TfjsCoreCopy[] {
  const nodeModule = builtin<NodeModuleApi>('node:module');
  const fs = builtin<NodeFsApi>('node:fs');
  if (!nodeModule || !fs) return [{ version: tf.version_core, path: '@tensorflow/tfjs-core', gankit: true }];
  const require = nodeModule.createRequire(import.meta.url);
  const marker = /[\\/]@tensorflow[\\/]tfjs-core[\\/]/;
  const rootOf = (file: string): string | undefined => {
    const match = marker.exec(file);
    return match ? file.slice(0, match.index + match[0].length - 1) : undefined;
  };
  let ours: string | undefined;
  try {
    ours = rootOf(require.resolve('@tensorflow/tfjs-core'));
  } catch {
    ours = undefined;
  }
  const roots = new Set<string>();
  if (ours) roots.add(ours);
  for (const file of Object.keys(require.cache)) {
    const root = rootOf(file);
    if (root) roots.add(root);
  }
  return [...roots].map((path) => {
    let version = path === ours ? tf.version_core : 'unknown';
    try {
      version = (JSON.parse(fs.readFileSync(`${path}/package.json`, 'utf8')) as { version?: string }).version ?? version;
    } catch {
      // keep what we know
    }
    return { version, path, gankit: path === ours };
  });
}

/**
 * Throws `DUPLICATE_TFJS` when a second copy of `@tensorflow/tfjs-core` is loaded, or when the one loaded is not the
 * version gankit is built for; the message names both versions and where they were loaded from.
 */
export function assertSingleTfjsCore(copies: TfjsCoreCopy[] = loadedTfjsCoreCopies()): void {
  const fix =
    `make your app use one copy: install @tensorflow/tfjs-core@${TFJS_CORE_VERSION} (and @tensorflow/tfjs@${TFJS_CORE_VERSION} or @tensorflow/tfjs-layers@${TFJS_CORE_VERSION} if you use them), ` +
    'then deduplicate (npm dedupe, or "overrides" / pnpm.overrides)';
  if (copies.length > 1) {
    const named = copies.map((c) => `${c.version} from ${c.path}${c.gankit ? " (gankit's)" : ''}`).join(' and ');
    throw new GanKitError(
      'DUPLICATE_TFJS',
      `${copies.length} copies of @tensorflow/tfjs-core are loaded: ${named}; layers and models registered in one are unknown to the other (tf.loadLayersModel fails with "Unknown layer"); ${fix}`,
    );
  }
  const only = copies[0];
  if (only && only.version !== TFJS_CORE_VERSION) {
    throw new GanKitError(
      'DUPLICATE_TFJS',
      `gankit needs @tensorflow/tfjs-core ${TFJS_CORE_VERSION} but ${only.version} is loaded from ${only.path}; ${fix}`,
    );
  }
}
