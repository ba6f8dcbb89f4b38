// @gankit/core/node: the Node-only half of core: files written atomically, PNG through sharp, model and weight files on disk.
export { atomicWriteFile, readFileOrThrow, readJsonFile } from './files';
export { encodePng, decodePng, writePng, readPng } from './png';
export { fileSystem, MODEL_JSON, WEIGHTS_BIN } from './io-model';
export { saveWeightsMap, loadWeightsMap, WEIGHTS_MAP_FORMAT, type WeightsMap, type WeightsMapOptions, type SaveWeightsMapOptions } from './io-tensors';
