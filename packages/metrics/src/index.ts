export type { FeatureExtractor, ExtractedFeatures } from './extractor';
