export { loadTorchCheckpoint, readTorchCheckpoint, torchStateDict, isTorchTensor, tensorToFloat32 } from './checkpoint';
export type { TorchDType, TorchTensor, TorchTensorData, TorchValue } from './checkpoint';
