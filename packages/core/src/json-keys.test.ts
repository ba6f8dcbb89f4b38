import { describe, expect, it } from 'vitest';
import { snakeCase, snakeCaseKeys } from './json-keys';

describe('snakeCaseKeys (the CLIs\' --json convention)', () => {
  it('converts camelCase keys at any depth and leaves snake_case, values and arrays alone', () => {
    expect(['imagesPerSec', 'totalSteps', 'nReal', 'd_real', 'lr_g', 'step', 'HTMLReport', 'eval_mnist_fid'].map(snakeCase)).toEqual([
      'images_per_sec', 'total_steps', 'n_real', 'd_real', 'lr_g', 'step', 'html_report', 'eval_mnist_fid',
    ]);
    expect(snakeCaseKeys({ runDir: '/a', metrics: { mnistFid: 1.5 }, rows: [{ stdDev: 2 }], note: 'keepThisValue', n: null })).toEqual({
      run_dir: '/a', metrics: { mnist_fid: 1.5 }, rows: [{ std_dev: 2 }], note: 'keepThisValue', n: null,
    });
  });
});
