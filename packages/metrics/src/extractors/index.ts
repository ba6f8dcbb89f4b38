export { inceptionV3, FID_INCEPTION_WEIGHTS_URL, INCEPTION_BLOCK_INDEX_BY_DIM, type InceptionV3Options, type InceptionDims } from './inception';
export { cleanResize, resizePlaneBicubicPil } from './resize-pil';
export { mnistClassifier, shippedMnistClassifierDir, type MnistClassifierOptions } from './mnist';
