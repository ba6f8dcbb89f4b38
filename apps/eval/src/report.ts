/** One metric row of an evaluation. */
export interface MetricRow {
  metric: string;
  value: number;
  std?: number;
}

/** Everything an evaluation measured and how: printed as a table or as one JSON object (`--json`: snake_case keys, `n_real`, `n_fake`). */
export interface EvalReport {
  command: string;
  metrics: MetricRow[];
  nReal: number | null;
  nFake: number | null;
  extractor: string;
  resize: string;
  backend: string;
  inputs: string[];
  warnings: string[];
  seconds: number;
  output?: string;
  /** The seed of subsets and sampling. */
  seed: number;
  /** How each input's images were chosen (seeded subset, shard, generator samples). */
  subsets: { input: string; count: number; of: number | null; seed: number | null; shard?: string }[];
  /** What the numbers mean where it is not obvious (e.g. PPL's distance). */
  notes?: string[];
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(4);
  return value.toFixed(4);
}

/** Renders a report as an aligned plain-text table with the settings underneath. */
export function formatTable(report: EvalReport): string {
  const header = ['metric', 'value', '± std'];
  const rows = report.metrics.map((m) => [m.metric, formatNumber(m.value), m.std === undefined ? '' : formatNumber(m.std)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  const settings = [
    ['N real', report.nReal === null ? '-' : String(report.nReal)],
    ['N fake', report.nFake === null ? '-' : String(report.nFake)],
    ['extractor', report.extractor],
    ['resize', report.resize],
    ['backend', report.backend],
    ['seed', String(report.seed)],
    ['time', `${report.seconds.toFixed(1)} s`],
  ];
  for (const s of report.subsets) {
    if (s.seed !== null && s.of !== null) settings.push(['subset', `${s.input}: ${s.count} of ${s.of} (seed ${s.seed})${s.shard ? `, shard ${s.shard}` : ''}`]);
    else if (s.shard) settings.push(['shard', `${s.input}: ${s.shard} (${s.count} images)`]);
  }
  if (report.output) settings.push(['written', report.output]);
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line), ''];
  for (const [k, v] of settings) out.push(`${(k ?? '').padEnd(10)} ${v ?? ''}`);
  for (const note of report.notes ?? []) out.push(`note       ${note}`);
  return out.join('\n');
}

/** pytorch-fid's output line: `print('FID: ', fid_value)`. */
export function formatPytorchFid(report: EvalReport): string {
  const fid = report.metrics.find((m) => m.metric === 'FID');
  return fid ? `FID:  ${String(fid.value)}` : '';
}
