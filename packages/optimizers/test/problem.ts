// The fixed problem of test/fixtures/make_fixtures.py, built from plain tf ops.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';

export interface OptimizerFixture {
  steps: number;
  problem: { X: number[]; Y: number[]; W0: number[]; b0: number[]; s0: number[] };
  trajectories: Record<string, number[][]>;
  clipGradNorm: { grads: number[][]; shapes: number[][]; cases: { maxNorm: number; norm: number; clipped: number[][] }[] };
  schedules: {
    step: { lr: number; stepSize: number; gamma: number; rates: number[] };
    cosine: { lr: number; totalSteps: number; minLr: number; rates: number[] };
  };
}

export const fixture = JSON.parse(readFileSync(new URL('./fixtures/optimizers.json', import.meta.url), 'utf8')) as OptimizerFixture;

/** Variables W [4,3], b [3], s [2] at their fixture starting values, and the loss over them. */
export function makeProblem(): { vars: tf.Variable[]; loss: () => tf.Scalar; values: () => number[]; dispose: () => void } {
  const p = fixture.problem;
  const X = tf.tensor2d(p.X, [8, 4]);
  const Y = tf.tensor2d(p.Y, [8, 3]);
  const vars = tf.tidy(() => [tf.variable(tf.tensor2d(p.W0, [4, 3])), tf.variable(tf.tensor1d(p.b0)), tf.variable(tf.tensor1d(p.s0))]);
  const [W, b, s] = vars as [tf.Variable, tf.Variable, tf.Variable];
  const loss = () =>
    tf.tidy(() => tf.add<tf.Scalar>(tf.mean(tf.square(tf.sub(tf.tanh(tf.add(tf.matMul(X, W), b)), Y))), tf.mul(1e-6, tf.sum(tf.square(s)))));
  const values = () => vars.flatMap((v) => [...v.dataSync()]);
  return { vars, loss, values, dispose: () => tf.dispose([X, Y, ...vars]) };
}
