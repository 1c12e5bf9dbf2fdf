// What joule needs from the runtime it runs in, for browsers (a window or a Web Worker). The browser build
// (scripts/build-browser.ts) puts this module in the place of host.ts; the two export the same names
// (test/platform/host.test.ts checks it).

import { JouleError } from '../core/errors.js';

/** The parts of the browser's globals used here; the project compiles without the DOM's types. */
interface BrowserGlobals {
  readonly navigator?: { readonly hardwareConcurrency?: number };
  readonly crossOriginIsolated?: boolean;
  readonly document?: unknown;
  atob(text: string): string;
  readonly Blob: new (parts: string[], options: { type: string }) => object;
  readonly URL: { createObjectURL(blob: object): string; revokeObjectURL(url: string): void };
  readonly Worker: new (url: string, options?: { name?: string }) => BrowserWorker;
}

interface BrowserWorker {
  postMessage(message: unknown): void;
  terminate(): void;
  addEventListener(type: 'message' | 'error', listener: (event: { message?: string }) => void, options?: { once?: boolean }): void;
}

const web = globalThis as unknown as BrowserGlobals;

export const hostName: string = 'browser';

/** Threads that may run at once: one where memory cannot be shared with workers. */
export function availableParallelism(): number {
  return canShareMemory() ? Math.max(1, web.navigator?.hardwareConcurrency ?? 1) : 1;
}

/** SharedArrayBuffer reaches workers only in a cross-origin isolated page (COOP same-origin, COEP require-corp). */
export function canShareMemory(): boolean {
  return web.crossOriginIsolated === true;
}

/** A window's main thread may not block in Atomics.wait; workers may. */
export function canBlock(): boolean {
  return web.document === undefined;
}

export async function readFile(path: string): Promise<Uint8Array> {
  throw new JouleError('IO', `cannot read '${path}': a browser has no file paths; pass the file's bytes (a Uint8Array)`);
}

export function siblingPath(file: string, name: string): string {
  const slash = file.lastIndexOf('/');
  return slash < 0 ? name : `${file.slice(0, slash + 1)}${name}`;
}

export function decodeBase64(text: string): Uint8Array {
  const binary = web.atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Browsers have no flags to set: a feature is on or off (WebAssembly.validate says which). */
export function enableWasmFeature(_name: 'relaxed-simd'): void {}

export interface HostWorker {
  readonly ready: Promise<void>;
  terminate(): Promise<void>;
}

/** Starts a Web Worker from a blob: `body` runs on the first message, which carries `data`. */
export function startWorker(body: string, data: unknown): HostWorker {
  const source = `self.onmessage = (event) => {\n  self.onmessage = null;\n  const data = event.data;\n  const ready = () => self.postMessage('ready');\n${body}\n};`;
  const url = web.URL.createObjectURL(new web.Blob([source], { type: 'text/javascript' }));
  const worker = new web.Worker(url, { name: 'joule-kernels' });
  const ready = new Promise<void>((resolve, reject) => {
    worker.addEventListener('message', () => resolve(), { once: true });
    worker.addEventListener('error', (e) => reject(new Error(`a worker failed to start: ${e.message ?? 'unknown error'}`)), { once: true });
  });
  ready.catch(() => undefined).finally(() => web.URL.revokeObjectURL(url));
  worker.postMessage(data);
  return { ready, terminate: async () => worker.terminate() };
}
