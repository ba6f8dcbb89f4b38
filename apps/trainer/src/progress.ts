import { snakeCaseKeys } from '@gankit/core';

/** What the trainer reports after a logged step. */
export interface ProgressEvent {
  step: number;
  totalSteps: number;
  dLoss: number;
  gLoss: number;
  imagesPerSec: number;
  /** Estimated seconds to the end of the run. */
  etaSeconds: number;
  /** Any other logged values (D(x), D(G(z)), learning rates, metrics). */
  values: Record<string, number>;
}

/** How progress is shown: a redrawn bar on a terminal, plain lines otherwise, or one JSON object per line. */
export type ProgressMode = 'tty' | 'plain' | 'json';

/** Formats seconds as `1h02m`, `3m05s` or `12s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toFixed(4) : String(v);
}

/** Prints progress and messages in one of the three modes; `--json` lines use snake_case keys, as metrics.jsonl does. */
export class ProgressReporter {
  private barShown = false;

  constructor(
    private readonly mode: ProgressMode,
    private readonly out: NodeJS.WritableStream = process.stdout,
    private readonly err: NodeJS.WritableStream = process.stderr,
  ) {}

  /** Picks `json` if asked, `tty` when stderr is a terminal, else `plain`. */
  static auto(json: boolean): ProgressReporter {
    return new ProgressReporter(json ? 'json' : process.stderr.isTTY ? 'tty' : 'plain');
  }

  /** Shows one progress update. */
  progress(e: ProgressEvent): void {
    const text = `step ${e.step}/${e.totalSteps}  d_loss ${fmt(e.dLoss)}  g_loss ${fmt(e.gLoss)}  ${e.imagesPerSec.toFixed(1)} img/s  eta ${formatDuration(e.etaSeconds)}`;
    switch (this.mode) {
      case 'json':
        this.out.write(`${JSON.stringify(snakeCaseKeys({ event: 'progress', step: e.step, totalSteps: e.totalSteps, dLoss: e.dLoss, gLoss: e.gLoss, imagesPerSec: e.imagesPerSec, etaSeconds: e.etaSeconds, ...e.values }))}\n`);
        break;
      case 'plain':
        this.out.write(`${text}\n`);
        break;
      case 'tty': {
        const width = 24;
        const filled = Math.round((e.step / Math.max(1, e.totalSteps)) * width);
        this.err.write(`\r\x1b[2K[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}`);
        this.barShown = true;
        break;
      }
    }
  }

  /** Shows an informational message (in JSON mode, `{ "event": "info", ... }`). */
  info(message: string, fields: Record<string, unknown> = {}): void {
    if (this.mode === 'json') {
      this.out.write(`${JSON.stringify(snakeCaseKeys({ event: 'info', message, ...fields }))}\n`);
      return;
    }
    this.endBar();
    this.out.write(`${message}\n`);
  }

  /** Ends a bar line so the next output starts on a fresh line. */
  endBar(): void {
    if (this.barShown) this.err.write('\n');
    this.barShown = false;
  }
}
