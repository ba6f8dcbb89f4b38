import type { ImageData8 } from './train';

interface BundledEntry {
  file: string;
  count: number;
  shape: [number, number, number];
}

/** Loads a dataset subset bundled with the page at build time (see scripts/prepare-assets.mjs). */
export async function bundledDataset(name: string): Promise<ImageData8> {
  const manifest = (await (await fetch(new URL('./datasets/datasets.json', document.baseURI))).json()) as Record<string, BundledEntry>;
  const entry = manifest[name];
  if (!entry) throw new Error(`no bundled dataset "${name}"; bundled: ${Object.keys(manifest).join(', ')}`);
  const bytes = new Uint8Array(await (await fetch(new URL(`./${entry.file}`, document.baseURI))).arrayBuffer());
  const size = entry.shape[0] * entry.shape[1] * entry.shape[2];
  if (bytes.length !== entry.count * (size + 1)) throw new Error(`${entry.file}: ${bytes.length} bytes, expected ${entry.count * (size + 1)}`);
  return { images: bytes.subarray(0, entry.count * size), labels: bytes.subarray(entry.count * size), shape: entry.shape };
}

/** The user's images, centre-cropped to a square and resized to size×size in the page (grayscale or RGB). */
export async function userImages(files: File[], size: number, grayscale: boolean): Promise<ImageData8> {
  const images = files.filter((f) => f.type.startsWith('image/'));
  if (images.length === 0) throw new Error(`none of the ${files.length} files picked is an image`);
  const channels = grayscale ? 1 : 3;
  const out = new Uint8Array(images.length * size * size * channels);
  const canvas = new OffscreenCanvas(size, size);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  let kept = 0;
  for (const file of images) {
    let bitmap: ImageBitmap;
    try {
      bitmap = await createImageBitmap(file);
    } catch {
      continue; // an unreadable image is skipped; the count shown says how many were used
    }
    const side = Math.min(bitmap.width, bitmap.height);
    ctx.drawImage(bitmap, (bitmap.width - side) / 2, (bitmap.height - side) / 2, side, side, 0, 0, size, size);
    bitmap.close();
    const rgba = ctx.getImageData(0, 0, size, size).data;
    const base = kept * size * size * channels;
    for (let p = 0; p < size * size; p++) {
      const [r, g, b] = [rgba[p * 4]!, rgba[p * 4 + 1]!, rgba[p * 4 + 2]!];
      if (grayscale) out[base + p] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
      else out.set([r, g, b], base + p * 3);
    }
    kept++;
  }
  if (kept === 0) throw new Error('none of the picked images could be decoded');
  return { images: out.subarray(0, kept * size * size * channels), shape: [size, size, channels] };
}
