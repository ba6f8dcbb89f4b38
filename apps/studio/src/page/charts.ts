/** One line of a chart. */
export interface Series {
  label: string;
  color: string;
  values: { x: number; y: number }[];
}

/** Draws line series on a canvas, with the y range and the last value of each series. */
export function drawChart(canvas: HTMLCanvasElement, title: string, series: Series[]): void {
  const ctx = canvas.getContext('2d')!;
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  const all = series.flatMap((s) => s.values).filter((p) => Number.isFinite(p.y));
  canvas.dataset.points = String(all.length); // how many finite points are drawn (the tests read it)
  ctx.fillStyle = '#222';
  ctx.font = '12px system-ui, sans-serif';
  ctx.fillText(title, 8, 14);
  if (all.length < 2) return;
  const [x0, x1] = [Math.min(...all.map((p) => p.x)), Math.max(...all.map((p) => p.x))];
  let [y0, y1] = [Math.min(...all.map((p) => p.y)), Math.max(...all.map((p) => p.y))];
  if (y1 - y0 < 1e-9) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const left = 44;
  const top = 22;
  const px = (x: number) => left + ((x - x0) / (x1 - x0 || 1)) * (width - left - 8);
  const py = (y: number) => top + (1 - (y - y0) / (y1 - y0)) * (height - top - 18);
  ctx.strokeStyle = '#ccc';
  ctx.strokeRect(left, top, width - left - 8, height - top - 18);
  ctx.fillText(y1.toPrecision(3), 2, top + 8);
  ctx.fillText(y0.toPrecision(3), 2, height - 20);
  ctx.fillText(`step ${x1}`, width - 70, height - 4);
  series.forEach((s, k) => {
    ctx.strokeStyle = s.color;
    ctx.beginPath();
    s.values.forEach((p, i) => (i === 0 ? ctx.moveTo(px(p.x), py(p.y)) : ctx.lineTo(px(p.x), py(p.y))));
    ctx.stroke();
    const last = s.values[s.values.length - 1];
    ctx.fillStyle = s.color;
    ctx.fillText(`${s.label} ${last ? last.y.toFixed(3) : ''}`, 120 + k * 120, 14);
  });
}
