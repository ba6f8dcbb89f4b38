// @gankit/core/node: the Node-only half of core (src/node/): files written atomically, PNG through sharp, model and
// weight files on disk.
export { atomicWriteFile, readFileOrThrow, readJsonFile } from './node/files';
export { encodePng, decodePng, writePng, readPng } from './node/png';
export { fileSystem, MODEL_JSON, WEIGHTS_BIN } from './node/io-model';
export { saveWeightsMap, loadWeightsMap, WEIGHTS_MAP_FORMAT, type WeightsMap, type WeightsMapOptions, type SaveWeightsMapOptions } from './node/io-tensors';
