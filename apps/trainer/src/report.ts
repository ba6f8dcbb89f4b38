import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { atomicWriteFile } from '@gankit/core';
import type { MetricsRecord, RunPaths } from './run-folder';
import { readMetrics } from './run-folder';

/** One curve of a chart: a name, a colour and its (step, value) points. */
interface Series {
  name: string;
  color: string;
  points: [number, number][];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function niceNumber(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return Number(v.toPrecision(4)).toString();
}

/** An inline SVG line chart with axes, ticks and a legend. */
export function svgLineChart(title: string, series: Series[], width = 640, height = 260): string {
  const all = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const pad = { left: 56, right: 24, top: 28, bottom: 30 };
  const w = width - pad.left - pad.right;
  const h = height - pad.top - pad.bottom;
  if (all.length === 0) return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="40"><text x="4" y="24">${escapeHtml(title)}: no data yet</text></svg>`;
  let [x0, x1] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  let [y0, y1] = [Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))];
  if (x1 === x0) [x0, x1] = [x0 - 1, x1 + 1];
  if (y1 === y0) [y0, y1] = [y0 - 1, y1 + 1];
  const sx = (x: number) => pad.left + ((x - x0) / (x1 - x0)) * w;
  const sy = (y: number) => pad.top + h - ((y - y0) / (y1 - y0)) * h;
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const xLabels = new Set<number>();
  const grid = ticks
    .map((t) => {
      const y = y0 + t * (y1 - y0);
      const x = Math.round(x0 + t * (x1 - x0));
      // a step label is shown once (a narrow x range would otherwise repeat the same rounded step)
      const xLabel = xLabels.has(x) ? '' : `<text x="${sx(x).toFixed(1)}" y="${height - 10}" text-anchor="middle" font-size="11">${x}</text>`;
      xLabels.add(x);
      return (
        `<line x1="${pad.left}" x2="${pad.left + w}" y1="${sy(y).toFixed(1)}" y2="${sy(y).toFixed(1)}" stroke="#e5e5e5"/>` +
        `<text x="${pad.left - 6}" y="${(sy(y) + 4).toFixed(1)}" text-anchor="end" font-size="11">${niceNumber(y)}</text>` +
        xLabel
      );
    })
    .join('');
  const lines = series
    .map((s) => {
      const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
      const d = pts.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
      // sparse series (e.g. one evaluation) get markers, or a single point would not show at all
      const markers = pts.length <= 20 ? pts.map(([x, y]) => `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${s.color}"/>`).join('') : '';
      return `<polyline fill="none" stroke="${s.color}" stroke-width="1.6" points="${d}"/>${markers}`;
    })
    .join('');
  const legend = series
    .map((s, i) => `<rect x="${pad.left + 8 + i * 150}" y="8" width="12" height="4" fill="${s.color}"/><text x="${pad.left + 24 + i * 150}" y="14" font-size="12">${escapeHtml(s.name)}</text>`)
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(title)}">` +
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

/** Picks at most `max` items spread evenly, always keeping the first and the last. */
function spread<T>(items: T[], max: number): T[] {
  if (items.length <= max) return items;
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(items[Math.round((i * (items.length - 1)) / (max - 1))] as T);
  return [...new Set(out)];
}

/** Everything the report shows, gathered from a run folder. */
export interface ReportInput {
  title: string;
  config: unknown;
  records: MetricsRecord[];
  /** Sample grids, ascending by step. */
  samples: { step: number; png: Uint8Array }[];
  summary: Record<string, string>;
}

/** Renders the report: one self-contained HTML page (inline SVG charts, base64 PNGs, no network). */
export function renderReport(input: ReportInput): string {
  const losses = svgLineChart('losses', seriesOf(input.records, ['d_loss', 'g_loss']));
  const scores = seriesOf(input.records, ['d_real', 'd_fake']);
  const metricKeys = [...new Set(input.records.flatMap((r) => Object.keys(r)).filter((k) => k.startsWith('eval_')))];
  const metricCharts = metricKeys.map((k) => svgLineChart(k, seriesOf(input.records, [k]))).join('');
  const latest = input.samples.at(-1);
  const grids = spread(input.samples, 12)
    .map((s) => `<figure><img alt="samples at step ${s.step}" src="data:image/png;base64,${Buffer.from(s.png).toString('base64')}"><figcaption>step ${s.step}</figcaption></figure>`)
    .join('');
  const summary = Object.entries(input.summary)
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(input.title)} — gankit report</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse}th,td{text-align:left;padding:3px 10px;border-bottom:1px solid #ddd;font-size:13px}
.grids{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0}figcaption{font-size:12px;text-align:center}
.grids img{width:196px;image-rendering:pixelated;border:1px solid #ccc;background:#000}
.latest img{width:392px;image-rendering:pixelated;border:1px solid #ccc;background:#000}
pre{background:#fff;border:1px solid #ddd;padding:8px;font-size:12px;overflow:auto;max-height:320px}
</style></head><body>
<h1>${escapeHtml(input.title)}</h1>
<table>${summary}</table>
<h2>Losses</h2>${losses}
${scores.length ? `<h2>Discriminator outputs (mean logits)</h2>${svgLineChart('D outputs', scores)}` : ''}
${metricCharts ? `<h2>Evaluation</h2>${metricCharts}` : ''}
${latest ? `<h2>Latest samples (step ${latest.step})</h2><div class="latest"><img alt="latest samples" src="data:image/png;base64,${Buffer.from(latest.png).toString('base64')}"></div>` : ''}
<h2>Samples over time (fixed latent batch)</h2><div class="grids">${grids || 'none yet'}</div>
<h2>Configuration</h2><pre>${escapeHtml(JSON.stringify(input.config, null, 2))}</pre>
</body></html>
`;
}

/** Reads the sample grids `samples/step-N.png` of a run, ascending by step. */
export async function readSampleGrids(paths: RunPaths): Promise<{ step: number; png: Uint8Array }[]> {
  const names = await readdir(paths.samples).catch(() => [] as string[]);
  const steps = names
    .map((n) => /^step-(\d+)\.png$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  return Promise.all(steps.map(async (step) => ({ step, png: new Uint8Array(await readFile(join(paths.samples, `step-${step}.png`))) })));
}

/** Regenerates `report.html` from what is in the run folder. */
export async function writeReport(paths: RunPaths, title: string, config: unknown, summary: Record<string, string>): Promise<void> {
  const html = renderReport({ title, config, records: await readMetrics(paths), samples: await readSampleGrids(paths), summary });
  await atomicWriteFile(paths.report, html);
}
