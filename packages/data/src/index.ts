// @gankit/data: the platform-neutral part (Node and browsers): in-memory sources, the input pipeline, seeded subsets.
// File formats and file sources (IDX, npy/npz, CIFAR, image folders, the named datasets) are in `@gankit/data/node`.
export { type Example, type ImageShape, type ImageSource, type ArraySource, type ArraySourceOptions, arraySource } from './source';
export {
  type Pipeline, type PipelineOptions, type PipelinePosition, type Batch, type BatchArrays,
  type TfDatasetElement, createPipeline, disposeBatch, toTfDataset,
} from './pipeline';
export { randomSubset } from './subset';
