// Test helper for io-model.test.ts (not part of the package API): saves a dense model with fileSystem(dir)
// in a child process, so the test can kill it mid-write with a file-size limit (`ulimit -f`).
// Usage: tsx src/node/io-model.child.ts <dir> <dense units> <metadata bytes>
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { fileSystem } from './io-model';

const [dir = '', units = '4', metadataBytes = '0'] = process.argv.slice(2);
await tf.setBackend('cpu');
const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [4], units: Number(units) })] });
if (Number(metadataBytes) > 0) model.setUserDefinedMetadata({ note: 'x'.repeat(Number(metadataBytes)) });
process.stdout.write('saving\n');
await model.save(fileSystem(dir));
process.stdout.write('saved\n');
