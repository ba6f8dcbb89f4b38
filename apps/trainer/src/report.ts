import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, join, resolve } from 'node:path';
import { atomicWriteFile } from '@gankit/core/node';
import type { MetricsRecord, RunPaths } from './run-folder';
import { readMetrics } from './run-folder';

/** One curve of a chart: a name, a colour and its (step, value) points. */
export interface Series {
  name: string;
  color: string;
  points: [number, number][];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
/** Weight of the smoothing (TensorBoard's debiased exponential moving average). */
const SMOOTHING = 0.7;
/** While a run is going, the page reloads itself this often. */
const RELOAD_SECONDS = 10;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A "nice" number near `x` (1, 2 or 5 times a power of ten), rounded or the next one up (Heckbert 1990). */
function niceNumber(x: number, round: boolean): number {
  const exponent = Math.floor(Math.log10(x));
  const fraction = x / 10 ** exponent;
  const nice = round ? (fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10) : fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * 10 ** exponent;
}

/** Axis ticks at multiples of 1, 2 or 5 × 10^k covering [lo, hi] with about `count` ticks, and their label decimals. */
export function niceTicks(lo: number, hi: number, count = 5): { ticks: number[]; step: number; decimals: number } {
  if (!(hi > lo)) [lo, hi] = lo === 0 ? [-1, 1] : [lo - Math.abs(lo) * 0.1, lo + Math.abs(lo) * 0.1];
  const step = niceNumber(niceNumber(hi - lo, false) / Math.max(1, count - 1), true);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const ticks: number[] = [];
  for (let k = Math.floor(lo / step + 1e-9); k <= Math.ceil(hi / step - 1e-9); k++) ticks.push(Number((k * step).toFixed(decimals)));
  return { ticks, step, decimals };
}

function tickLabel(v: number, decimals: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(1).replace('e+', 'e');
  return v.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

function valueLabel(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3);
  return Number(v.toPrecision(4)).toString();
}

/** TensorBoard's smoothing: an exponential moving average, debiased for its zero start. */
export function smooth(points: [number, number][], weight = SMOOTHING): [number, number][] {
  let last = 0;
  return points.map(([x, y], i) => {
    last = last * weight + (1 - weight) * y;
    return [x, last / (1 - weight ** (i + 1))];
  });
}

/** Options of `svgLineChart`. */
export interface ChartOptions {
  width?: number;
  height?: number;
  /** The x range (steps); every chart of a report shares it. Default: the data's range. */
  xDomain?: [number, number];
}

/**
 * An inline SVG line chart with nice-number ticks and a legend. Each series is drawn raw (`.raw`) and smoothed
 * (`.smooth`, shown by the page's smoothing toggle); a series of at most 20 points (evaluations) is drawn unsmoothed with
 * markers, and a single point gets its value written next to it.
 */
export function svgLineChart(title: string, series: Series[], options: ChartOptions = {}): string {
  const width = options.width ?? 640;
  const height = options.height ?? 240;
  const clean = series.map((s) => ({ ...s, points: s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)) }));
  const all = clean.flatMap((s) => s.points);
  const pad = { left: 64, right: 24, top: 28, bottom: 30 };
  const w = width - pad.left - pad.right;
  const h = height - pad.top - pad.bottom;
  const label = escapeHtml(title);
  if (all.length === 0) {
    return `<svg class="chart" data-chart="${label}" xmlns="http://www.w3.org/2000/svg" width="${width}" height="40"><text x="4" y="24">${label}: no data yet</text></svg>`;
  }
  let [x0, x1] = options.xDomain ?? [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  if (!(x1 > x0)) [x0, x1] = [Math.min(0, x0), Math.max(x0, 1)];
  const ys = all.map((p) => p[1]);
  const [ymin, ymax] = [Math.min(...ys), Math.max(...ys)];
  const yt = niceTicks(ymin, ymax, 5);
  const xt = niceTicks(x0, x1, 6);
  const [y0, y1] = [Math.min(yt.ticks[0] as number, ymin), Math.max(yt.ticks.at(-1) as number, ymax)];
  const sx = (x: number) => pad.left + ((x - x0) / (x1 - x0)) * w;
  const sy = (y: number) => pad.top + h - ((y - y0) / (y1 - y0)) * h;
  const grid =
    yt.ticks
      .map(
        (t) =>
          `<line x1="${pad.left}" x2="${pad.left + w}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}" stroke="#e5e5e5"/>` +
          `<text class="ytick" x="${pad.left - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end" font-size="11">${tickLabel(t, yt.decimals)}</text>`,
      )
      .join('') +
    xt.ticks
      .filter((t) => t >= x0 - 1e-9 && t <= x1 + 1e-9)
      .map((t) => `<text class="xtick" x="${sx(t).toFixed(1)}" y="${height - 10}" text-anchor="middle" font-size="11">${tickLabel(t, xt.decimals)}</text>`)
      .join('');
  const polyline = (pts: [number, number][], cls: string, color: string) =>
    `<polyline class="${cls}" fill="none" stroke="${color}" stroke-width="${cls === 'smooth' ? 2 : 1.4}" points="${pts.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>`;
  const lines = clean
    .map((s) => {
      const pts = s.points;
      const markers = pts.length <= 20 ? pts.map(([x, y]) => `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3.5" fill="${s.color}"/>`).join('') : '';
      const only = pts.length === 1 ? (pts[0] as [number, number]) : undefined;
      const note = only
        ? `<text class="point-label" x="${(sx(only[0]) - 8).toFixed(1)}" y="${(sy(only[1]) - 8).toFixed(1)}" text-anchor="end" font-size="12" fill="${s.color}">${escapeHtml(s.name)} ${valueLabel(only[1])} at step ${only[0].toLocaleString('en-US')}</text>`
        : '';
      // Sparse series (evaluations) are drawn as they are: an average over a few far-apart points would only lag.
      const sparse = pts.length <= 20;
      const smoothed = sparse ? '' : polyline(smooth(pts), 'smooth', s.color);
      return `<g data-series="${escapeHtml(s.name)}">${pts.length > 1 ? polyline(pts, sparse ? 'sparse' : 'raw', s.color) : ''}${smoothed}${markers}${note}</g>`;
    })
    .join('');
  const legend = clean
    .map((s, i) => `<rect x="${pad.left + 8 + i * 150}" y="8" width="12" height="4" fill="${s.color}"/><text x="${pad.left + 24 + i * 150}" y="14" font-size="12">${escapeHtml(s.name)}</text>`)
    .join('');
  return (
    `<svg class="chart" data-chart="${label}" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="${label}">` +
    `<rect width="100%" height="100%" fill="#fff"/>${grid}` +
    `<line x1="${pad.left}" x2="${pad.left}" y1="${pad.top}" y2="${pad.top + h}" stroke="#555"/>` +
    `<line x1="${pad.left}" x2="${pad.left + w}" y1="${pad.top + h}" y2="${pad.top + h}" stroke="#555"/>${lines}${legend}</svg>`
  );
}

function seriesOf(records: MetricsRecord[], keys: string[]): Series[] {
  return keys
    .map((key, i) => ({
      name: key,
      color: COLORS[i % COLORS.length] as string,
      points: records.filter((r) => typeof r[key] === 'number').map((r) => [r.step, r[key] as number] as [number, number]),
    }))
    .filter((s) => s.points.length > 0);
}

/** The charts of a report: named groups of `metrics.jsonl` keys; every other numeric key gets a chart of its own. */
export const CHART_GROUPS: readonly { id: string; title: string; keys: readonly string[] }[] = [
  { id: 'losses', title: 'Losses', keys: ['d_loss', 'g_loss'] },
  { id: 'penalties', title: 'Penalties and auxiliary losses', keys: ['gp', 'r1', 'd_aux', 'g_aux'] },
  { id: 'd-outputs', title: 'Discriminator outputs (mean logits)', keys: ['d_real', 'd_fake'] },
  { id: 'grad-norms', title: 'Gradient norms (global, before clipping)', keys: ['d_grad_norm', 'g_grad_norm'] },
  { id: 'learning-rates', title: 'Learning rates', keys: ['lr_d', 'lr_g'] },
  { id: 'throughput', title: 'Throughput (images/s)', keys: ['images_per_sec'] },
];
/** Keys of `metrics.jsonl` that are not series. */
const NOT_SERIES = new Set(['step', 'time']);

/** Which charts a report draws for these records: `[title, keys]`, groups first, then evaluations, then the rest. */
export function chartsFor(records: MetricsRecord[]): [string, string[]][] {
  const numeric = new Set(records.flatMap((r) => Object.keys(r).filter((k) => typeof r[k] === 'number' && !NOT_SERIES.has(k))));
  const charts: [string, string[]][] = [];
  const used = new Set<string>();
  for (const g of CHART_GROUPS) {
    const keys = g.keys.filter((k) => numeric.has(k));
    keys.forEach((k) => used.add(k));
    if (keys.length) charts.push([g.title, keys]);
  }
  const rest = [...numeric].filter((k) => !used.has(k)).sort();
  for (const k of rest.filter((k) => k.startsWith('eval_'))) charts.push([`Evaluation: ${k.slice('eval_'.length)}`, [k]]);
  for (const k of rest.filter((k) => !k.startsWith('eval_'))) charts.push([k, [k]]);
  return charts;
}

/** Picks at most `max` items spread evenly, always keeping the first and the last. */
function spread<T>(items: T[], max: number): T[] {
  if (items.length <= max) return items;
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(items[Math.round((i * (items.length - 1)) / (max - 1))] as T);
  return [...new Set(out)];
}

/** Facts about a run shown at the top of its report. */
export interface RunInfo {
  /** When the run (its first part, for a resumed run) started, ISO 8601. */
  started: string;
  /** Training time so far in seconds (all parts of a resumed run). */
  elapsedSeconds: number;
  /** The command line that started this part of the run. */
  command: string;
  /** Versions of the trainer, TF.js and Node. */
  versions: Record<string, string>;
  /** The engine, e.g. `wasm (@tensorflow/tfjs-backend-wasm, 2 conv threads)`. */
  backend: string;
  /** Trainable and non-trainable parameters of each network. */
  parameters: { generator: number; discriminator: number };
  step: number;
  totalSteps: number;
}

/** Files of the run folder the report links to (relative to the report). */
export interface RunLinks {
  generator?: string;
  checkpoints: string[];
  best?: string;
  tensorboard?: string;
  /** Absolute TensorBoard folder, for the `tensorboard --logdir` command. */
  tensorboardDir?: string;
}

/** Everything the report shows, gathered from a run folder. */
export interface ReportInput {
  title: string;
  config: unknown;
  records: MetricsRecord[];
  /** Sample grids, ascending by step. */
  samples: { step: number; png: Uint8Array }[];
  summary: Record<string, string>;
  /** `running` pages reload themselves every 10 s; `finished` and `interrupted` ones do not. */
  status?: 'running' | 'finished' | 'interrupted';
  run?: RunInfo;
  links?: RunLinks;
  /** When the page was written (ms since the epoch); a running page older than 10 minutes stops reloading. */
  writtenAt?: number;
  /** How often a running page reloads itself (default 10 s). */
  reloadSeconds?: number;
}

function duration(seconds: number): string {
  const s = Math.round(seconds);
  const [h, m, r] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  return h ? `${h} h ${m} min ${r} s` : m ? `${m} min ${r} s` : `${r} s`;
}

function runTable(input: ReportInput): string {
  const rows: [string, string][] = [];
  const r = input.run;
  if (r) {
    rows.push(
      ['status', `${input.status ?? 'finished'} at step ${r.step.toLocaleString('en-US')} of ${r.totalSteps.toLocaleString('en-US')}`],
      ['started', r.started],
      ['duration', duration(r.elapsedSeconds)],
      ['command', r.command],
      ['versions', Object.entries(r.versions).map(([k, v]) => `${k} ${v}`).join(', ')],
      ['backend', r.backend],
      ['parameters', `generator ${r.parameters.generator.toLocaleString('en-US')}, discriminator ${r.parameters.discriminator.toLocaleString('en-US')}`],
    );
  }
  for (const [k, v] of Object.entries(input.summary)) if (!rows.some(([name]) => name === k)) rows.push([k, v]);
  return rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('');
}

function linkList(links: RunLinks | undefined): string {
  if (!links) return '';
  const a = (href: string, text = href) => `<a href="${escapeHtml(href)}">${escapeHtml(text)}</a>`;
  const items = [
    links.generator ? `<li>generator (TF.js Layers model, <code>tf.loadLayersModel</code>): ${a(links.generator)}</li>` : '<li>generator: exported when the run completes</li>',
    `<li>checkpoints: ${links.checkpoints.length ? links.checkpoints.map((c) => a(c)).join(', ') : 'none yet'}${links.best ? ` (best: ${a(links.best)})` : ''}</li>`,
    links.tensorboard
      ? `<li>TensorBoard event files: ${a(links.tensorboard)}${links.tensorboardDir ? ` — <code>tensorboard --logdir ${escapeHtml(JSON.stringify(links.tensorboardDir))}</code>` : ''}</li>`
      : '',
    `<li>${a('metrics.jsonl')}, ${a('config.json')}</li>`,
  ];
  return `<h2>Files</h2><ul class="links">${items.join('')}</ul>`;
}

const script = (reloadSeconds: number) => `(() => {
  const box = document.getElementById('smoothing');
  const apply = () => document.body.classList.toggle('smoothing', box.checked);
  box.checked = !location.hash.includes('raw');
  apply();
  box.addEventListener('change', () => { history.replaceState(null, '', box.checked ? location.pathname : '#raw'); apply(); });
  const status = document.getElementById('status');
  const y = sessionStorage.getItem('gankit-report-scroll');
  if (y !== null) { sessionStorage.removeItem('gankit-report-scroll'); window.scrollTo(0, Number(y)); }
  if (status.dataset.state !== 'running') return;
  const age = Date.now() - Number(status.dataset.written);
  if (age > 600000) { status.textContent += ' (no update for ' + Math.round(age / 60000) + ' min: the run may have stopped; this page no longer reloads)'; return; }
  setTimeout(() => { sessionStorage.setItem('gankit-report-scroll', String(window.scrollY)); location.reload(); }, ${reloadSeconds * 1000});
})();`;

/**
 * Renders the report: one self-contained HTML page (inline SVG charts, base64 PNGs, an inline script for the
 * smoothing toggle and, while the run is going, reloading itself; links only to files of the run folder).
 */
export function renderReport(input: ReportInput): string {
  const status = input.status ?? 'finished';
  const writtenAt = input.writtenAt ?? Date.now();
  const reloadSeconds = input.reloadSeconds ?? RELOAD_SECONDS;
  const lastStep = Math.max(0, ...input.records.map((r) => r.step));
  const xDomain: [number, number] = [0, Math.max(lastStep, 1)];
  const charts = chartsFor(input.records)
    .map(([title, keys]) => `<section class="chart-box"><h3>${escapeHtml(title)}</h3>${svgLineChart(title, seriesOf(input.records, keys), { xDomain })}</section>`)
    .join('');
  const latest = input.samples.at(-1);
  const grids = spread(input.samples, 12)
    .map((s) => `<figure><img alt="samples at step ${s.step}" src="data:image/png;base64,${Buffer.from(s.png).toString('base64')}"><figcaption>step ${s.step}</figcaption></figure>`)
    .join('');
  const statusText =
    status === 'running'
      ? `running: step ${lastStep.toLocaleString('en-US')}${input.run ? ` of ${input.run.totalSteps.toLocaleString('en-US')}` : ''}; updated ${new Date(writtenAt).toLocaleTimeString('en-GB')}; this page reloads every ${reloadSeconds} s while the run is going`
      : status === 'interrupted'
        ? `interrupted at step ${lastStep.toLocaleString('en-US')} (continue with --resume)`
        : `finished: ${lastStep.toLocaleString('en-US')} steps`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(input.title)} — gankit report</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}h3{font-size:14px;margin:8px 0 4px}
table{border-collapse:collapse}th,td{text-align:left;padding:3px 10px;border-bottom:1px solid #ddd;font-size:13px;vertical-align:top}
#status{padding:6px 10px;border-radius:4px;display:inline-block;font-size:13px;background:#e8f4e8}
#status[data-state=running]{background:#fff3d6}#status[data-state=interrupted]{background:#fde2e2}
.charts{display:flex;flex-wrap:wrap;gap:8px 20px}.controls{font-size:13px;margin:8px 0}
.chart .smooth{display:none}body.smoothing .chart .smooth{display:inline}body.smoothing .chart .raw{opacity:.28}
.grids{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0}figcaption{font-size:12px;text-align:center}
.grids img{width:196px;image-rendering:pixelated;border:1px solid #ccc;background:#000}
.latest img{width:392px;image-rendering:pixelated;border:1px solid #ccc;background:#000}
.links{font-size:13px}code{font-size:12px;background:#eee;padding:1px 4px}
pre{background:#fff;border:1px solid #ddd;padding:8px;font-size:12px;overflow:auto;max-height:320px}
</style></head><body>
<h1>${escapeHtml(input.title)}</h1>
<p id="status" data-state="${status}" data-written="${writtenAt}">${escapeHtml(statusText)}</p>
<table class="run">${runTable(input)}</table>
${linkList(input.links)}
<h2>Training curves</h2>
<div class="controls"><label><input type="checkbox" id="smoothing" checked> smoothing (exponential moving average, weight ${SMOOTHING}; raw values stay visible, faded)</label></div>
<div class="charts">${charts || '<p>no metrics logged yet</p>'}</div>
${latest ? `<h2>Latest samples (step ${latest.step})</h2><div class="latest"><img alt="latest samples" src="data:image/png;base64,${Buffer.from(latest.png).toString('base64')}"></div>` : ''}
<h2>Samples over time (fixed latent batch)</h2><div class="grids">${grids || 'none yet'}</div>
<h2>Configuration</h2><pre>${escapeHtml(JSON.stringify(input.config, null, 2))}</pre>
<script>${script(reloadSeconds)}</script>
</body></html>
`;
}

/** Reads the sample grids `samples/step-N.png` a report shows (at most `max`, spread over the run, the last always), ascending by step. */
export async function readSampleGrids(paths: RunPaths, max = 12): Promise<{ step: number; png: Uint8Array }[]> {
  const names = await readdir(paths.samples).catch(() => [] as string[]);
  const steps = names
    .map((n) => /^step-(\d+)\.png$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  return Promise.all(spread(steps, max).map(async (step) => ({ step, png: new Uint8Array(await readFile(join(paths.samples, `step-${step}.png`))) })));
}

const trainerVersion = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/** The command line of this process as a user would type it (`gankit-train …` for the CLI). */
export function commandLine(argv: readonly string[] = process.argv): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  const script = argv[1] ?? '';
  const head = /trainer[/\\]dist[/\\]cli\.js$/.test(script) || basename(script) === 'gankit-train' ? 'gankit-train' : `node ${quote(script)}`;
  return [head, ...argv.slice(2).map(quote)].join(' ');
}

/** Versions shown in a report: the trainer's, TF.js's and Node's. */
export function reportVersions(tfjsCore: string): Record<string, string> {
  return { '@gankit/trainer': trainerVersion, '@tensorflow/tfjs-core': tfjsCore, node: process.version };
}

/** What `writeReport` needs besides the run folder. */
export interface WriteReportOptions {
  title: string;
  config: unknown;
  summary: Record<string, string>;
  status: 'running' | 'finished' | 'interrupted';
  run?: RunInfo;
  /** Checkpoint steps on disk and the best one. */
  checkpoints?: number[];
  best?: number;
  tensorboard?: boolean;
  generator?: boolean;
}

/** Regenerates `report.html` (atomically) from what is in the run folder. */
export async function writeReport(paths: RunPaths, options: WriteReportOptions): Promise<void> {
  const links: RunLinks = {
    checkpoints: (options.checkpoints ?? []).map((s) => `checkpoints/step-${s}/`),
    ...(options.best !== undefined && { best: `checkpoints/step-${options.best}/` }),
    ...(options.generator && { generator: 'generator/model.json' }),
    ...(options.tensorboard && { tensorboard: 'tensorboard/', tensorboardDir: resolve(paths.tensorboard) }),
  };
  const html = renderReport({
    title: options.title,
    config: options.config,
    records: await readMetrics(paths),
    samples: await readSampleGrids(paths),
    summary: options.summary,
    status: options.status,
    links,
    writtenAt: Date.now(),
    ...(options.run && { run: options.run }),
  });
  await atomicWriteFile(paths.report, html);
}
