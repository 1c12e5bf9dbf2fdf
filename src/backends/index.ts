import type { Backend } from './backend.js';
import { cpuBackend } from './cpu/index.js';
import { referenceBackend } from './reference/index.js';

export type BackendName = 'reference' | 'cpu';

/** The backends, by name. */
export const backends: Readonly<Record<BackendName, Backend>> = {
  reference: referenceBackend,
  cpu: cpuBackend,
};

export function isBackendName(name: string): name is BackendName {
  return Object.prototype.hasOwnProperty.call(backends, name);
}
