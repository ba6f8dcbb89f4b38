import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@gankit/backend-wasm';
import { countTrainableParams, createGan, type CreateGanOptions } from './index';
import { disposeGan } from './test-utils';

// Produced by test/fixtures/param_counts.py (PyTorch 1.13 reference models); see that script.
const fixture = JSON.parse(readFileSync(fileURLToPath(new URL('../test/fixtures/param_counts.json', import.meta.url)), 'utf8')) as {
  torch: string;
  cases: Record<string, { options: CreateGanOptions; generator: number; discriminator: number }>;
};

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

describe(`trainable parameter counts equal the PyTorch ${fixture.torch} reference models`, () => {
  it('the fixture has the PyTorch DCGAN tutorial counts', () => {
    const tutorial = fixture.cases['dcgan-64 (PyTorch DCGAN tutorial)']!;
    expect([tutorial.generator, tutorial.discriminator]).toEqual([3_576_704, 2_765_568]);
  });

  it.each(Object.entries(fixture.cases))('%s', (_, { options, generator, discriminator }) => {
    const gan = createGan({ ...options, seed: 0 });
    expect({ generator: countTrainableParams(gan.generator), discriminator: countTrainableParams(gan.discriminator) }).toEqual({ generator, discriminator });
    disposeGan(gan);
  });
});
