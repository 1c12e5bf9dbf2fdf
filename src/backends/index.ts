import type { Backend } from './backend.js';
import { cpuBackend } from './cpu/index.js';
import { referenceBackend } from './reference/index.js';
import { webgpuBackend } from './webgpu/index.js';

export type BackendName = 'reference' | 'cpu' | 'webgpu';

/** The backends, by name. */
export const backends: Readonly<Record<BackendName, Backend>> = {
  reference: referenceBackend,
  cpu: cpuBackend,
  webgpu: webgpuBackend,
};

export function isBackendName(name: string): name is BackendName {
  return Object.prototype.hasOwnProperty.call(backends, name);
}
