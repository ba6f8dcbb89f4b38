import { GanKitError } from '@gankit/core';
import { type NpyArray, readNpy, readNpz } from './npy';
import { arraySource, type ArraySource } from './source';

/** Options for `npySource`. */
export interface NpySourceOptions {
  /** For `.npz`: the key of the images array (default `images`, or the only array). */
  key?: string;
  /** For `.npz`: the key of the labels array (default `labels` when present). A `.npy` path may also be given. */
  labels?: string;
}

function toImageSource(images: NpyArray, labels: NpyArray | undefined, where: string): ArraySource {
  if (images.dtype !== 'uint8' || (images.shape.length !== 3 && images.shape.length !== 4)) {
    throw new GanKitError('UNSUPPORTED_FORMAT', `${where}: expected uint8 images shaped N×H×W or N×H×W×C, got ${images.dtype} [${images.shape.join(', ')}]`, { path: where });
  }
  const [, h = 0, w = 0, c = 1] = images.shape;
  let labelData: Int32Array | undefined;
  if (labels) {
    if (labels.shape.length !== 1 || labels.dtype === 'float32' || labels.dtype === 'float64' || labels.dtype === 'bool') {
      throw new GanKitError('UNSUPPORTED_FORMAT', `${where}: labels must be a 1-D integer array, got ${labels.dtype} [${labels.shape.join(', ')}]`, { path: where });
    }
    labelData = new Int32Array(labels.data.length);
    for (let i = 0; i < labelData.length; i++) {
      const v = Number(labels.data[i]);
      if (!Number.isInteger(v) || v < 0 || v > 2 ** 31 - 1) throw new GanKitError('FILE_CORRUPT', `${where}: label ${v} at index ${i} is not a class index`, { path: where });
      labelData[i] = v;
    }
  }
  return arraySource(images.data, [h, w, c], labelData, { name: where });
}

/** A source over a NumPy `.npy` (uint8 N×H×W[×C]) or `.npz` (arrays `images` and optional `labels`) file. */
export async function npySource(path: string, options: NpySourceOptions = {}): Promise<ArraySource> {
  if (path.toLowerCase().endsWith('.npz')) {
    const arrays = await readNpz(path);
    const names = Object.keys(arrays);
    const key = options.key ?? ('images' in arrays ? 'images' : names.length === 1 ? names[0]! : undefined);
    const images = key === undefined ? undefined : arrays[key];
    if (!images) {
      const asked = key === undefined ? 'no array named images' : `no array '${key}'`;
      throw new GanKitError('FILE_MISMATCH', `${path} has ${asked} (arrays: ${names.join(', ')}); name the images with { key }`, { path });
    }
    const labelKey = options.labels ?? ('labels' in arrays ? 'labels' : undefined);
    const labels = labelKey === undefined ? undefined : labelKey.endsWith('.npy') ? await readNpy(labelKey) : arrays[labelKey];
    if (labelKey !== undefined && !labels) throw new GanKitError('FILE_MISMATCH', `${path} has no array '${labelKey}' (arrays: ${names.join(', ')})`, { path });
    return toImageSource(images, labels, path);
  }
  const images = await readNpy(path);
  const labels = options.labels ? await readNpy(options.labels) : undefined;
  return toImageSource(images, labels, path);
}
