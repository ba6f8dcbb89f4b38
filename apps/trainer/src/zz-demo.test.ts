import { it } from 'vitest';
import { resolveConfig } from './config';
import { train } from './train';

it('demo run', async () => {
  const config = await resolveConfig({ preset: 'demo' }, { backend: 'wasm' });
  config.logging.metric = 'none';
  let last = performance.now();
  const res = await train(config, { out: '/tmp/demo-run', force: true, onProgress: (e) => { const u = process.cpuUsage(); console.log(e.step, e.dLoss.toFixed(3), e.gLoss.toFixed(3), ((performance.now() - last) / 1000).toFixed(1), ((u.user + u.system) / 1e6).toFixed(1)); last = performance.now(); } });
  console.log(JSON.stringify(res));
}, 3_600_000);
