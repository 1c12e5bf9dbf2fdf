import type { Backend } from '../backend.js';
import { referenceBackend } from '../reference/index.js';
import { CpuMemory } from './memory.js';
import { prepareCpu } from './prepared.js';

/**
 * WebAssembly SIMD kernels across worker threads: Conv, Gemm and MatMul with constant weights run as
 * packed GEMM (GEMV for fully connected layers at batch 1), convolutions also as Winograd (directly, or
 * after space-to-depth when strided) or FFT where measured faster; 2-D MaxPool and AveragePool, LRN,
 * Concat and Softmax over float32 on their own kernels, Flatten and its kin as views; every other op
 * runs its reference kernel.
 */
export const cpuBackend: Backend = {
  name: 'cpu',
  unsupported(node, opset) {
    return referenceBackend.unsupported(node, opset);
  },
  openSession(options) {
    return CpuMemory.create(options.threads);
  },
  prepare(graph, options, session) {
    return prepareCpu(graph, options, undefined, session as CpuMemory | undefined);
  },
};
