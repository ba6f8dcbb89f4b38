// @gankit/data/node: file formats and file sources, Node only (fs, zlib, sharp).
export { type NpyArray, type NpyData, type NpyDtype, parseNpy, encodeNpy, readNpy, writeNpy, parseNpz, encodeNpz, readNpz, writeNpz } from './npy';
export { type IdxArray, type IdxDtype, type IdxSourceOptions, parseIdx, encodeIdx, readIdx, writeIdx, idxSource, idxArraysToSource } from './idx';
export {
  type Split, type NamedDatasetOptions, type DatasetName,
  mnist, fashionMnist, loadNamedDataset, MNIST_CLASSES, FASHION_MNIST_CLASSES,
} from './named';
export { type ImageFolderOptions, type ImageFolderSource, imageFolder, IMAGE_EXTENSIONS } from './image-folder';
export { type RawImage, decodeNetpbm, decodeBmp, RAW_DECODED_EXTENSIONS } from './raw-decoders';
export { type CifarOptions, type CifarLayout, cifar10, cifar100, parseCifarBatch, CIFAR10_CLASSES } from './cifar';
export { type NpySourceOptions, npySource } from './npy-source';
export { type InflateBoundedOptions, inflateBounded } from './inflate';
export { type ZipEntry, readZipEntries, zipEntryBytes } from './zip';
