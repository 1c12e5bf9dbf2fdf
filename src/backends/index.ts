import type { Backend } from './backend.js';
import { referenceBackend } from './reference/index.js';

export type BackendName = 'reference';

/** The backends, by name. */
export const backends: Readonly<Record<BackendName, Backend>> = {
  reference: referenceBackend,
};

export function isBackendName(name: string): name is BackendName {
  return Object.prototype.hasOwnProperty.call(backends, name);
}
