import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { createRng, fileSystem, initBackend, toImageGrid, writePng } from '@gankit/core';
import { it } from 'vitest';

it('train vs eval BN sampling', async () => {
  await initBackend({ backend: 'wasm' });
  const g = await tfl.loadLayersModel(fileSystem('/tmp/demo-run/generator'));
  const rng = createRng(1);
  const z = tf.tensor2d(rng.normalArray(64 * 64), [64, 64]);
  const a = g.apply(z, { training: false }) as tf.Tensor4D;
  const b = g.apply(z, { training: true }) as tf.Tensor4D;
  await writePng('/tmp/eval-mode.png', await toImageGrid(a, { columns: 8 }));
  await writePng('/tmp/train-mode.png', await toImageGrid(b, { columns: 8 }));
}, 600_000);
