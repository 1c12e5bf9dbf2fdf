// What joule needs from the runtime it runs in, for Node. The browser build (scripts/build-browser.ts)
// puts host-browser.ts in this module's place: nothing else in the library asks where it runs.

import { readFile as readNodeFile } from 'node:fs/promises';
import { availableParallelism as nodeParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';

/** The runtime, for messages and reports. */
export const hostName: string = 'node';

/** Threads the runtime can run at once; what backends use by default. */
export function availableParallelism(): number {
  return nodeParallelism();
}

/** Whether memory can be shared with worker threads (always in Node; in a browser, only when cross-origin isolated). */
export function canShareMemory(): boolean {
  return true;
}

/** Whether this thread may block in Atomics.wait (every Node thread may). */
export function canBlock(): boolean {
  return true;
}

/** Reads a whole file. */
export async function readFile(path: string): Promise<Uint8Array> {
  return readNodeFile(path);
}

/** The path of `name` in the directory of the file `file` (an ONNX model's external data). */
export function siblingPath(file: string, name: string): string {
  return join(dirname(file), name);
}

/** The bytes of a base64 string. */
export function decodeBase64(text: string): Uint8Array {
  return Buffer.from(text, 'base64');
}

/** Turns on a WebAssembly feature V8 keeps behind a flag (Node 20: relaxed SIMD); call before the first compile. */
export function enableWasmFeature(name: 'relaxed-simd'): void {
  setFlagsFromString(`--experimental-wasm-${name}`);
}

/** A worker thread running a script, as the cpu backend's thread pool uses it. */
export interface HostWorker {
  /** Settles when the script calls `ready()`; rejects if the worker fails or exits first. */
  readonly ready: Promise<void>;
  terminate(): Promise<void>;
}

/**
 * Starts a worker running `body`, a classic script in which `data` (structured-cloned: a WebAssembly
 * module and a shared memory travel) and a function `ready()` are defined. The worker does not keep the
 * process alive.
 */
export function startWorker(body: string, data: unknown): HostWorker {
  const source = `const { parentPort, workerData: data } = require('node:worker_threads');\nconst ready = () => parentPort.postMessage('ready');\n${body}`;
  // The source is a CommonJS script whatever flags (--input-type, loaders) started this process.
  const worker = new Worker(source, { eval: true, execArgv: [], workerData: data });
  worker.unref(); // an undisposed session must not keep the process alive
  const ready = new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`a worker exited with code ${code} before starting`)));
  });
  ready.catch(() => undefined); // the caller may never await it if another worker failed first
  return { ready, terminate: async () => void (await worker.terminate()) };
}
