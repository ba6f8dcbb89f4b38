import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ProgressReporter, formatDuration, type ProgressEvent } from './progress';

function capture(mode: 'tty' | 'plain' | 'json') {
  const out = new PassThrough();
  const err = new PassThrough();
  const text = { out: '', err: '' };
  out.on('data', (d: Buffer) => (text.out += d.toString()));
  err.on('data', (d: Buffer) => (text.err += d.toString()));
  return { reporter: new ProgressReporter(mode, out, err), text };
}

const event: ProgressEvent = { step: 5, totalSteps: 20, dLoss: 1.25, gLoss: 0.5, imagesPerSec: 64, etaSeconds: 75, values: { d_real: 0.1 } };

describe('progress output', () => {
  it('formats durations', () => {
    expect([formatDuration(12), formatDuration(185), formatDuration(3720), formatDuration(Number.NaN)]).toEqual(['12s', '3m05s', '1h02m', '?']);
  });

  it('redraws one bar line on a terminal and ends it before a message', () => {
    const { reporter, text } = capture('tty');
    reporter.progress(event);
    reporter.progress({ ...event, step: 10 });
    reporter.info('checkpoint: x');
    expect(text.err).toBe(
      '\r\x1b[2K[######------------------] step 5/20  d_loss 1.2500  g_loss 0.5000  64.0 img/s  eta 1m15s' +
        '\r\x1b[2K[############------------] step 10/20  d_loss 1.2500  g_loss 0.5000  64.0 img/s  eta 1m15s\n',
    );
    expect(text.out).toBe('checkpoint: x\n');
  });

  it('prints plain lines, or one JSON object per line with --json', () => {
    const plain = capture('plain');
    plain.reporter.progress(event);
    expect(plain.text.out).toBe('step 5/20  d_loss 1.2500  g_loss 0.5000  64.0 img/s  eta 1m15s\n');
    const json = capture('json');
    json.reporter.progress(event);
    json.reporter.info('hello', { event: 'checkpoint', step: 5 });
    const lines = json.text.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      { event: 'progress', step: 5, total_steps: 20, d_loss: 1.25, g_loss: 0.5, images_per_sec: 64, eta_seconds: 75, d_real: 0.1 },
      { event: 'checkpoint', message: 'hello', step: 5 },
    ]);
    expect(json.text.err).toBe('');
  });
});
