import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@gankit/backend-wasm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AgreementTable } from '../../../testing/agreement';
import { fixture, makeProblem } from '../test/problem';
import { adam, rmsprop, sgd } from './index';

interface Variant {
  config: string;
  label: string;
  make: () => tf.Optimizer;
  /** Allowed |TF.js − PyTorch| on every compared parameter at every step. */
  atol: number;
  /** Compare only W and b: the tiny-gradient parameter s is where the documented ε difference shows (tested below). */
  ordinaryOnly?: boolean;
}

const ORDINARY = 15; // W (12) and b (3) come first, s (2) last

// Tolerances are set from measurements (see README): float32 rounding for matching algorithms; the known
// algorithmic differences (ε size, ε placement) are checked to be *larger* than that in the tests below.
const VARIANTS: Variant[] = [
  { config: 'adam-seed', label: "adam() preset, exact: 'tfjs' (tf.train.adam, ε=1e-8)", make: () => adam(), atol: 2e-6 },
  { config: 'adam-seed', label: "adam({ exact: 'pytorch' })", make: () => adam({ exact: 'pytorch' }), atol: 2e-6 },
  { config: 'adam-seed', label: 'tf.train.adam(2e-4, 0.5, 0.999) (default ε=1e-7)', make: () => tf.train.adam(2e-4, 0.5, 0.999), atol: 2e-6, ordinaryOnly: true },
  { config: 'adam-fast', label: "adam({ lr 1e-2, β1 0.9 }), exact: 'tfjs'", make: () => adam({ learningRate: 1e-2, beta1: 0.9 }), atol: 2e-5 },
  { config: 'adam-fast', label: "adam({ lr 1e-2, β1 0.9, exact: 'pytorch' })", make: () => adam({ learningRate: 1e-2, beta1: 0.9, exact: 'pytorch' }), atol: 2e-5 },
  { config: 'rmsprop', label: "rmsprop({ lr 1e-3 }), exact: 'tfjs' (ε inside √)", make: () => rmsprop({ learningRate: 1e-3 }), atol: 5e-3, ordinaryOnly: true },
  { config: 'rmsprop', label: "rmsprop({ lr 1e-3, exact: 'pytorch' })", make: () => rmsprop({ learningRate: 1e-3, exact: 'pytorch' }), atol: 2e-5 },
  { config: 'rmsprop-momentum', label: "rmsprop({ lr 1e-3, decay 0.9, momentum 0.9 }), exact: 'tfjs'", make: () => rmsprop({ learningRate: 1e-3, decay: 0.9, momentum: 0.9 }), atol: 5e-3, ordinaryOnly: true },
  { config: 'rmsprop-momentum', label: "rmsprop({ lr 1e-3, decay 0.9, momentum 0.9, exact: 'pytorch' })", make: () => rmsprop({ learningRate: 1e-3, decay: 0.9, momentum: 0.9, exact: 'pytorch' }), atol: 5e-5 },
  { config: 'sgd', label: 'sgd({ lr 0.1 })', make: () => sgd({ learningRate: 0.1 }), atol: 2e-6 },
  { config: 'sgd-momentum', label: 'sgd({ lr 0.05, momentum 0.9 })', make: () => sgd({ learningRate: 0.05, momentum: 0.9 }), atol: 2e-6 },
];

function trajectory(make: () => tf.Optimizer): number[][] {
  const problem = makeProblem();
  const optimizer = make();
  const steps: number[][] = [];
  for (let i = 0; i < fixture.steps; i++) {
    optimizer.minimize(problem.loss, false, problem.vars);
    steps.push(problem.values());
  }
  optimizer.dispose();
  problem.dispose();
  return steps;
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`optimizers vs PyTorch 1.13 over ${fixture.steps} steps (${backend})`, () => {
    const table = new AgreementTable();
    const results = new Map<string, number[][]>();
    beforeAll(async () => {
      await initBackend({ backend });
    });
    afterAll(() => {
      console.log(`\noptimizer trajectories vs PyTorch (float32, every parameter at every step), ${backend}:\n${table.toMarkdown('optimizer (config)')}\n`);
    });

    for (const v of VARIANTS) {
      test(`${v.label} follows torch ${v.config}`, () => {
        const before = tf.memory().numTensors;
        const steps = trajectory(v.make);
        expect(tf.memory().numTensors).toBe(before);
        results.set(v.label, steps);
        const pick = (rows: number[][]) => (v.ordinaryOnly ? rows.map((r) => r.slice(0, ORDINARY)) : rows).flat();
        const label = `${v.label} vs torch ${v.config}${v.ordinaryOnly ? ' (W, b only)' : ''}`;
        table.check(label, pick(steps), pick(fixture.trajectories[v.config]!), v.atol, 0);
        if (v.ordinaryOnly) {
          // recorded for the README; the size of this documented difference is asserted in the next test
          const tiny = (rows: number[][]) => rows.flatMap((r) => r.slice(ORDINARY));
          table.check(`${v.label} vs torch ${v.config} (tiny-gradient s only)`, tiny(steps), tiny(fixture.trajectories[v.config]!), Infinity, 0);
        }
      });
    }

    test('the documented differences are real: default ε=1e-7 and ε inside √ move the tiny-gradient parameter differently', () => {
      const sIndex = 15; // s[0]: its gradient is ~1e-6, where ε matters
      const final = (label: string) => results.get(label)!.at(-1)![sIndex]!;
      const torchAdam = fixture.trajectories['adam-seed']!.at(-1)![sIndex]!;
      const s0 = fixture.problem.s0[0]!;
      const moved = (x: number) => Math.abs(x - s0);
      const tfDefault = moved(final('tf.train.adam(2e-4, 0.5, 0.999) (default ε=1e-7)'));
      const tfRms = moved(final("rmsprop({ lr 1e-3 }), exact: 'tfjs' (ε inside √)"));
      console.log(`s moved over 100 steps: torch Adam ${moved(torchAdam).toExponential(3)}, tf.train.adam default ε ${tfDefault.toExponential(3)} (ratio ${(tfDefault / moved(torchAdam)).toFixed(3)}); ` +
        `torch RMSprop ${moved(fixture.trajectories.rmsprop!.at(-1)![sIndex]!).toExponential(3)}, TF.js RMSprop ${tfRms.toExponential(3)}`);
      // PyTorch-exact moves s like torch; TF.js's default ε (1e-7, 10× larger) damps the step on s by ~10%.
      expect(Math.abs(moved(final("adam({ exact: 'pytorch' })")) - moved(torchAdam)) / moved(torchAdam)).toBeLessThan(1e-3);
      expect(moved(final('tf.train.adam(2e-4, 0.5, 0.999) (default ε=1e-7)')) / moved(torchAdam)).toBeLessThan(0.95);
      const torchRms = fixture.trajectories.rmsprop!.at(-1)![sIndex]!;
      expect(moved(final("rmsprop({ lr 1e-3 }), exact: 'tfjs' (ε inside √)")) / moved(torchRms)).toBeLessThan(0.5);
    });
  });
}
