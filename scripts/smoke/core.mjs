// Install check for @gankit/core: installed alone (with tfjs-backend-cpu and the optional peer sharp), plain Node.
// The platform-neutral entry (RNG, gradient fixes, image grids) and the Node entry (atomic files, PNG via sharp).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createRng, lowMemoryVariableGrads, toImageGrid } from '@gankit/core';
import { readPng, writePng } from '@gankit/core/node';

await tf.setBackend('cpu');
const rng = createRng(1);
const w = tf.variable(tf.tensor2d(rng.normalArray(4 * 3), [4, 3]));
const x = tf.tensor2d(rng.normalArray(5 * 4), [5, 4]);
const { value, grads } = lowMemoryVariableGrads(() => tf.sum(tf.tile(tf.tanh(tf.matMul(x, w)), [2, 1])), [w]);
const [loss, grad] = [(await value.data())[0], await grads[w.name].data()];
console.log(`loss ${loss.toFixed(4)}, |grad| ${Math.hypot(...grad).toFixed(4)}`);
if (!Number.isFinite(loss) || grad.length !== 12) throw new Error('gradient check failed');

const grid = await toImageGrid(tf.tanh(tf.tensor4d(rng.normalArray(4 * 8 * 8), [4, 8, 8, 1])), { columns: 2 });
const file = join(mkdtempSync(join(tmpdir(), 'gankit-core-')), 'grid.png');
await writePng(file, grid);
const back = await readPng(file);
console.log(`wrote ${file} (${readFileSync(file).length} bytes), read back ${back.width}x${back.height}`);
if (back.width !== grid.width || Buffer.compare(Buffer.from(back.data), Buffer.from(grid.data)) !== 0) throw new Error('PNG round trip changed the grid');
