import { describe, expect, it } from 'vitest';
import * as browserHost from '../../src/platform/host-browser.js';
import * as nodeHost from '../../src/platform/host.js';

// The browser build puts host-browser.ts in the place of host.ts: it must offer the same names and types.
const sameShape: typeof nodeHost = browserHost;

describe('the platform hosts', () => {
  it('export the same names', () => {
    expect(Object.keys(browserHost).sort()).toEqual(Object.keys(nodeHost).sort());
    expect(sameShape.hostName).toBe('browser');
    expect(nodeHost.hostName).toBe('node');
  });

  it('decode base64 alike', () => {
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 37) & 255);
    const text = Buffer.from(bytes).toString('base64');
    expect([...browserHost.decodeBase64(text)]).toEqual([...bytes]);
    expect([...nodeHost.decodeBase64(text)]).toEqual([...bytes]);
  });

  it('find external data beside the model alike', () => {
    expect(browserHost.siblingPath('models/net.onnx', 'net.data')).toBe('models/net.data');
    expect(browserHost.siblingPath('net.onnx', 'net.data')).toBe('net.data');
    expect(nodeHost.siblingPath('models/net.onnx', 'net.data')).toBe('models/net.data');
  });

  it('in a browser: no file paths, and one thread unless the page is cross-origin isolated', async () => {
    await expect(browserHost.readFile('model.onnx')).rejects.toMatchObject({ code: 'IO', message: expect.stringMatching(/pass the file's bytes/) });
    // Node has no crossOriginIsolated global: as a page that is not isolated.
    expect(browserHost.canShareMemory()).toBe(false);
    expect(browserHost.availableParallelism()).toBe(1);
    const scope = globalThis as { crossOriginIsolated?: boolean };
    scope.crossOriginIsolated = true;
    try {
      expect(browserHost.canShareMemory()).toBe(true);
      expect(browserHost.availableParallelism()).toBe((globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1);
    } finally {
      delete scope.crossOriginIsolated;
    }
    expect(browserHost.canBlock()).toBe(true); // no document: a worker's thread
  });

  it('in Node: shared memory, blocking waits and every core', () => {
    expect(nodeHost.canShareMemory()).toBe(true);
    expect(nodeHost.canBlock()).toBe(true);
    expect(nodeHost.availableParallelism()).toBeGreaterThanOrEqual(1);
  });
});
