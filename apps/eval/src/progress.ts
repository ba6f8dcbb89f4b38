/** A one-line progress bar on stderr during feature extraction (only on a terminal). */
export class ProgressBar {
  private readonly started = performance.now();
  private lastDraw = 0;
  private active = false;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr, private readonly enabled = stream.isTTY === true) {}

  /** Redraws the bar for `done` of `total` images of `side` (at most ten times a second). */
  update(side: string, done: number, total: number): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (now - this.lastDraw < 100 && done < total) return;
    this.lastDraw = now;
    const width = 28;
    const fraction = total > 0 ? Math.min(1, done / total) : 0;
    const filled = Math.round(fraction * width);
    const rate = done / Math.max(1e-3, (now - this.started) / 1000);
    const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
    this.stream.write(`\r${side.padEnd(4)} [${bar}] ${done}/${total} images  ${rate.toFixed(1)} img/s `);
    this.active = true;
  }

  /** Clears the bar so the next output starts on a clean line. */
  done(): void {
    if (this.active) this.stream.write('\r\x1b[2K');
    this.active = false;
  }
}
