// tfjs-core 4.x registers no gradient functions when imported on its own: `@tensorflow/tfjs` (the union
// package) and `@tensorflow/tfjs-layers` do. tfjs-core's per-file ESM (`dist/register_all_gradients.js`)
// cannot be imported by plain Node (extensionless relative imports), while tfjs-layers' Node bundle
// registers the complete list into the shared registry when it loads. Importing @gankit/core therefore
// makes `tf.grad`, `tf.variableGrads` and `optimizer.minimize` work with tfjs-core alone.
import { version_layers } from '@tensorflow/tfjs-layers';

/** The tfjs-layers version whose import registered TF.js's gradient functions. */
export const gradientsRegisteredBy = `@tensorflow/tfjs-layers@${version_layers}`;
