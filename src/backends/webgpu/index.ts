import type { Backend } from '../backend.js';
import { referenceBackend } from '../reference/index.js';
import { prepareWebGpu } from './prepared.js';

/**
 * WebGPU (Dawn in Node, navigator.gpu in browsers): convolution as an implicit GEMM tiled in workgroup
 * memory (split-K at small batches), GEMV for fully connected layers at batch 1, pooling, LRN, softmax,
 * elementwise ops and Concat by slices, in f32 or f16 storage with f32 arithmetic. Other ops run on
 * the host through their reference kernels.
 */
export const webgpuBackend: Backend = {
  name: 'webgpu',
  unsupported(node, opset) {
    return referenceBackend.unsupported(node, opset);
  },
  prepare(graph, options) {
    return prepareWebGpu(graph, options);
  },
};
