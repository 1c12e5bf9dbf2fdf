/**
 * The zoo networks, full size, on the webgpu backend against the cpu backend (itself checked against the
 * reference): fp32 within 1e-3 relative error, fp16 with the same top-1 class for every image; then the
 * life cycle: a lost device fails runs with a clear error, and disposing the last session lets the
 * process exit.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../../src/core/tensor.js';
import { acquireGpu, releaseGpu } from '../../../src/backends/webgpu/device.js';
import { pipelineCount, prepareWebGpu } from '../../../src/backends/webgpu/prepared.js';
import { Session } from '../../../src/runtime/session.js';
import { syntheticInput } from '../../../src/runtime/synthetic.js';
import { zooEntry } from '../../../src/zoo/index.js';
import { expectJouleError } from '../../helpers/errors.js';
import { relativeError } from '../../helpers/compare.js';
import { gpuMissing } from './gpu.js';

const top1 = (t: Tensor, row: number): number => {
  const [, n] = t.shape;
  const v = (t.data as Float32Array).subarray(row * n, (row + 1) * n);
  return v.indexOf(Math.max(...v));
};

async function compare(name: string, batch: number): Promise<void> {
  const entry = zooEntry(name);
  const cpu = await Session.load(`zoo:${name}`, { backend: 'cpu' });
  const info = cpu.inputs[0];
  const input = syntheticInput(info, batch, entry.preprocessing);
  // A second image unlike the first, so that the batch's rows differ.
  const data = input.data as Float32Array;
  for (let i = data.length / batch; i < data.length; i++) data[i] = -0.5 * data[i] + 7;
  const want = (await cpu.run({ [info.name]: input })).prob;
  await cpu.dispose();
  for (const precision of ['fp32', 'fp16'] as const) {
    const gpu = await Session.load(`zoo:${name}`, { backend: 'webgpu', precision });
    try {
      const got = (await gpu.run({ [info.name]: input })).prob;
      expect(got.shape).toEqual(want.shape);
      if (precision === 'fp32') expect(relativeError(got.data as Float32Array, want.data as Float32Array), `${name} fp32`).toBeLessThanOrEqual(1e-3);
      for (let row = 0; row < batch; row++) expect(top1(got, row), `${name} ${precision} image ${row}`).toBe(top1(want, row));
    } finally {
      await gpu.dispose();
    }
  }
}

describe.skipIf(gpuMissing !== undefined)('webgpu backend: zoo networks', () => {
  it('caffenet at batch 1 (GEMV) and 2 (GEMM)', async () => {
    await compare('caffenet', 1);
    await compare('caffenet', 2);
  }, 300_000);
  it('googlenet at batch 2', () => compare('googlenet', 2), 300_000);
});

describe.skipIf(gpuMissing !== undefined)('webgpu backend: life cycle', () => {
  it('a lost device fails the next run with a clear error', async () => {
    const context = await acquireGpu('low-power');
    try {
      const session = await Session.load('zoo:caffenet', { backend: 'cpu' });
      const prepared = await prepareWebGpu({ ...session.graph, inputs: [{ ...session.inputs[0], shape: [1, 3, 227, 227] }] }, { precision: 'fp32', threads: 1 }, context);
      await session.dispose();
      context.device.destroy();
      await context.device.lost;
      await expectJouleError(prepared.run(new Map([['data', syntheticInput(session.inputs[0], 1, zooEntry('caffenet').preprocessing)]])), 'BACKEND_UNAVAILABLE', 'device was lost');
      await prepared.dispose();
    } finally {
      await releaseGpu();
    }
  }, 120_000);

  it('disposing the last session lets the process exit', () => {
    const src = (path: string): string => new URL(`../../../src/${path}`, import.meta.url).href;
    const script = join(mkdtempSync(join(tmpdir(), 'joule-')), 'dispose.mts');
    writeFileSync(script, `
      import { Session } from '${src('runtime/session.ts')}';
      import { Tensor } from '${src('core/tensor.ts')}';
      const s = await Session.load('zoo:googlenet', { backend: 'webgpu' });
      await s.run({ data: Tensor.zeros('float32', [1, 3, 224, 224]) });
      await s.dispose();
      console.log('disposed');
    `);
    const out = execFileSync(process.execPath, ['--import', 'tsx', script], { timeout: 120_000, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(out.trim()).toBe('disposed');
  }, 150_000);
});

describe.skipIf(gpuMissing !== undefined)('webgpu backend: pipelines', () => {
  it('a new batch size reuses every compiled pipeline; a session can ask for the low-power adapter', async () => {
    const context = await acquireGpu();
    try {
      const session = await Session.load('zoo:googlenet', { backend: 'webgpu', tune: 'heuristic' });
      const info = session.inputs[0];
      await session.run({ [info.name]: syntheticInput(info, 2, zooEntry('googlenet').preprocessing) });
      const compiled = pipelineCount(context.device);
      expect(compiled).toBeGreaterThan(5);
      // Batch 3 changes every size in every dispatch (and so the split-K choices), which live in uniforms.
      // (Batch 1 would add the GEMV kernel of the fully connected layer.)
      await session.run({ [info.name]: syntheticInput(info, 3, zooEntry('googlenet').preprocessing) });
      expect(pipelineCount(context.device)).toBe(compiled);
      await session.dispose();
      const low = await Session.load('zoo:caffenet', { backend: 'webgpu', powerPreference: 'low-power' });
      const out = await low.run({ data: syntheticInput(low.inputs[0], 1, zooEntry('caffenet').preprocessing) });
      expect(out.prob.shape).toEqual([1, 1000]);
      await low.dispose();
    } finally {
      await releaseGpu();
    }
  }, 300_000);
});

describe('webgpu backend: no adapter', () => {
  it('says how to get one, and the session still disposes cleanly', () => {
    const src = (path: string): string => new URL(`../../../src/${path}`, import.meta.url).href;
    const script = join(mkdtempSync(join(tmpdir(), 'joule-')), 'no-adapter.mts');
    writeFileSync(script, `
      import { Session } from '${src('runtime/session.ts')}';
      import { Tensor } from '${src('core/tensor.ts')}';
      const s = await Session.load('zoo:caffenet', { backend: 'webgpu' });
      for (let i = 0; i < 2; i++) {
        try {
          await s.run({ data: Tensor.zeros('float32', [1, 3, 227, 227]) });
          console.log('ran');
        } catch (e) {
          console.log(e.code + ': ' + e.message);
        }
      }
      await s.dispose();
      console.log('disposed');
    `);
    // A Vulkan loader pointed at no driver: Dawn finds no adapter.
    const env = { ...process.env, VK_DRIVER_FILES: '/nonexistent/icd.json', VK_ICD_FILENAMES: '/nonexistent/icd.json' };
    const out = execFileSync(process.execPath, ['--import', 'tsx', script], { timeout: 120_000, encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'ignore'] });
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines.slice(0, 2)) {
      expect(line).toMatch(/^BACKEND_UNAVAILABLE: no WebGPU adapter was found/);
      expect(line).toContain('mesa-vulkan-drivers');
    }
    expect(lines[2]).toBe('disposed');
  }, 150_000);
});
