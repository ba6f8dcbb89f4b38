import { isPickleObject, type PickleObject, type PickleValue } from './pickle';

/** Element types a PyTorch checkpoint can hold. */
export type TorchDType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

/** The typed array a tensor's values are returned in (float16/bfloat16 are widened to float32). */
export type TorchTensorData = Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

/** A tensor read from a checkpoint: its dtype, shape and values, contiguous in row-major order. */
export interface TorchTensor extends PickleObject {
  readonly pickleKind: 'tensor';
  readonly dtype: TorchDType;
  readonly shape: number[];
  /** Row-major values; filled once every storage of the file is read. */
  data: TorchTensorData;
}

/** Any value a checkpoint holds: tensors, dicts (as `Map`), lists/tuples (arrays), numbers, strings... */
export type TorchValue = PickleValue;

/** True if a checkpoint value is a tensor. */
export function isTorchTensor(value: unknown): value is TorchTensor {
  return isPickleObject(value) && value.pickleKind === 'tensor';
}

/** A tensor's values as float32 (int64 via Number, bool as 0/1). */
export function tensorToFloat32(tensor: TorchTensor): Float32Array {
  if (tensor.data instanceof Float32Array) return tensor.data;
  if (tensor.data instanceof BigInt64Array) return Float32Array.from(tensor.data, (v) => Number(v));
  return Float32Array.from(tensor.data);
}

