import { acquireGpu, releaseGpu } from '../../../src/backends/webgpu/device.js';

/**
 * Whether a WebGPU adapter exists here, and if not, why: the tests that need one are skipped with that
 * reason (CI installs Mesa's lavapipe, a Vulkan driver on the CPU).
 */
export const gpuMissing: string | undefined = await acquireGpu().then(
  async () => {
    await releaseGpu();
    return undefined;
  },
  (e: Error) => e.message,
);
if (gpuMissing !== undefined) console.warn(`webgpu tests skipped: ${gpuMissing}`);
