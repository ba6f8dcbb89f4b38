export { inceptionV3, FID_INCEPTION_WEIGHTS_URL, type InceptionV3Options } from './inception';
export { cleanResize, resizePlaneBicubicPil } from './resize-pil';
export { mnistClassifier, shippedMnistClassifierDir, type MnistClassifierOptions } from './mnist';
