// Install check for @gankit/optimizers: installed alone from its tarball, with plain Node, outside the workspace.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@gankit/backend-wasm';
import { adam, cosineSchedule, ExponentialMovingAverage, ScheduledOptimizer } from '@gankit/optimizers';
import { loadTrainingState, saveTrainingState } from '@gankit/optimizers/node';

const info = await initBackend();
console.log(`backend: ${info.name}`);
if (!tf.serialization.SerializationMap.getMap().classNameMap.GanKitPyTorchAdam) throw new Error('PyTorchAdamOptimizer is not registered for serialization');
const make = () => ({ p: tf.variable(tf.tensor1d([1, -2, 3])), opt: new ScheduledOptimizer(adam({ exact: 'pytorch', learningRate: 0.1 }), cosineSchedule({ learningRate: 0.1, totalSteps: 20 })) });
const run = make();
const ema = new ExponentialMovingAverage([run.p], { decay: 0.9 });
const loss = () => tf.sum(tf.square(run.p));
for (let i = 0; i < 10; i++) {
  run.opt.minimize(loss, false, [run.p]);
  ema.update();
}
const dir = mkdtempSync(join(tmpdir(), 'gankit-smoke-'));
await saveTrainingState(dir, { optimizers: { p: run.opt }, emas: { p: ema }, variables: { p: [run.p] } });
const fresh = make();
await loadTrainingState(dir, { optimizers: { p: fresh.opt }, variables: { p: [fresh.p] } });
rmSync(dir, { recursive: true, force: true });
console.log(`10 scheduled PyTorch-Adam steps on ${tf.getBackend()}: p = [${Array.from(run.p.dataSync(), (v) => v.toFixed(4)).join(', ')}], restored step ${fresh.opt.step}`);
if (fresh.opt.step !== 10 || Array.from(fresh.p.dataSync()).join() !== Array.from(run.p.dataSync()).join()) throw new Error('restore failed');
