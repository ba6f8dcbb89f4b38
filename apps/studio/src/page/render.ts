import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { toImageGrid } from '@gankit/core';
import { setTruncationPsi } from '@gankit/models';
import type { ExtraInput } from './generator';
import type { LatentBatch } from './sampling';

/** Rows per generator call, to bound memory on big grids. */
const CHUNK = 64;

/**
 * Runs the generator (inference mode) on a latent batch: images [n, H, W, C] in [-1, 1]. The caller disposes it.
 * `psi` is StyleGAN2's ψ-truncation toward the tracked mean w (as `gankit-eval --truncation`), set for this call only.
 */
export function generateImages(model: tfl.LayersModel, gen: { latentDim: number; extras: ExtraInput[] }, batch: LatentBatch, psi?: number): tf.Tensor4D {
  const previous = psi === undefined ? undefined : setTruncationPsi(model, psi);
  try {
    return predictChunks(model, gen, batch);
  } finally {
    if (previous !== undefined) setTruncationPsi(model, previous);
  }
}

function predictChunks(model: tfl.LayersModel, gen: { latentDim: number; extras: ExtraInput[] }, batch: LatentBatch): tf.Tensor4D {
  const parts: tf.Tensor[] = [];
  for (let start = 0; start < batch.n; start += CHUNK) {
    const n = Math.min(CHUNK, batch.n - start);
    parts.push(
      tf.tidy(() => {
        const inputs = [tf.tensor2d(batch.z.subarray(start * gen.latentDim, (start + n) * gen.latentDim), [n, gen.latentDim])];
        gen.extras.forEach((e, k) => {
          const w = e.kind === 'labels' ? 1 : e.dim;
          inputs.push(tf.tensor2d(batch.extras[k]!.subarray(start * w, (start + n) * w), [n, w]));
        });
        return model.predict(inputs.length === 1 ? inputs[0]! : inputs) as tf.Tensor;
      }),
    );
  }
  const out = parts.length === 1 ? parts[0]! : tf.concat(parts);
  if (parts.length > 1) tf.dispose(parts);
  return out as tf.Tensor4D;
}

/** Where the tiles of a painted grid are (the page's tests read tiles back with this). */
export interface GridLayout {
  columns: number;
  padding: number;
  tileWidth: number;
  tileHeight: number;
  count: number;
}

/** Paints images [n, H, W, C] in [-1, 1] as a grid (gankit's toImageGrid, torchvision's make_grid) onto a canvas. */
export async function paintGrid(canvas: HTMLCanvasElement, images: tf.Tensor4D, columns: number, padding = 2): Promise<GridLayout> {
  const [n, h, w] = images.shape;
  const grid = await toImageGrid(images, { columns, padding, range: 'tanh' });
  canvas.width = grid.width;
  canvas.height = grid.height;
  const rgba = new Uint8ClampedArray(grid.width * grid.height * 4);
  for (let i = 0, j = 0; i < grid.data.length; i += 3, j += 4) {
    rgba[j] = grid.data[i]!;
    rgba[j + 1] = grid.data[i + 1]!;
    rgba[j + 2] = grid.data[i + 2]!;
    rgba[j + 3] = 255;
  }
  canvas.getContext('2d')!.putImageData(new ImageData(rgba, grid.width, grid.height), 0, 0);
  const layout: GridLayout = { columns: Math.min(columns, n), padding, tileWidth: w, tileHeight: h, count: n };
  canvas.dataset.layout = JSON.stringify(layout);
  return layout;
}

/** The tile index under a click on a painted grid, or undefined between tiles. */
export function tileAt(canvas: HTMLCanvasElement, layout: GridLayout, event: MouseEvent): number | undefined {
  const rect = canvas.getBoundingClientRect();
  const x = ((event.clientX - rect.left) / rect.width) * canvas.width;
  const y = ((event.clientY - rect.top) / rect.height) * canvas.height;
  const col = Math.floor((x - layout.padding) / (layout.tileWidth + layout.padding));
  const row = Math.floor((y - layout.padding) / (layout.tileHeight + layout.padding));
  const index = row * layout.columns + col;
  return col >= 0 && col < layout.columns && row >= 0 && index < layout.count ? index : undefined;
}

/** Saves what a canvas shows as a PNG download. */
export function downloadPng(canvas: HTMLCanvasElement, name: string): void {
  canvas.toBlob((blob) => {
    if (!blob) return;
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }, 'image/png');
}
