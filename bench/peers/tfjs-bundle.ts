// The TF.js peer's own bundle (dist/browser/tfjs-peer.js, loaded by bench/peers/tfjs.ts only when that row runs):
// tfjs-core with its gradients registered (the training step needs them) and the WebGPU backend.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-webgpu';

export { tf };
