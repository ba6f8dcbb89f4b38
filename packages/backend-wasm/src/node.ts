// The Node entry of @gankit/backend-wasm (the `node` export condition): the same API on the Node platform.
import { setPlatform } from './threads/platform';
import { nodePlatform } from './threads/platform-node';

setPlatform(nodePlatform);

export * from './index';
