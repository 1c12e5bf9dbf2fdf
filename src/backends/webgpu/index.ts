import type { Backend, BackendSession } from '../backend.js';
import { referenceBackend } from '../reference/index.js';
import { type GpuContext, acquireGpu, foreignGpu, releaseGpu } from './device.js';
import { prepareWebGpu } from './prepared.js';

/** A session's hold on its device: its plans run there, and callers make GpuTensors there. */
interface GpuSession extends BackendSession {
  readonly context: GpuContext;
}

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
  async openSession(options): Promise<GpuSession> {
    if (options.gpuDevice !== undefined) {
      // The caller's device: used as it is, never destroyed.
      const foreign = await foreignGpu(options.gpuDevice);
      return { context: foreign, gpuDevice: foreign.device, dispose: async () => undefined };
    }
    const context = await acquireGpu(options.powerPreference);
    let open = true;
    return {
      context,
      gpuDevice: context.device,
      async dispose() {
        if (open) await releaseGpu();
        open = false;
      },
    };
  },
  prepare(graph, options, session) {
    // After a device loss the session's device is gone: a new plan opens a fresh one of its own (but a
    // caller's device cannot be replaced, and the plan fails saying it was lost).
    const context = (session as GpuSession | undefined)?.context;
    return prepareWebGpu(graph, options, context?.lost === undefined || context.foreign === true ? context : undefined);
  },
};
