/**
 * The zoo networks, full size, on the cpu backend against the reference backend: all three at batch 1
 * (fully connected layers on the GEMV path) and CaffeNet at batch 2 (on the GEMM path). Then a
 * child process proves that disposing a session lets the process exit.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Session } from '../../../src/runtime/session.js';
import { syntheticInput } from '../../../src/runtime/synthetic.js';
import { zooEntry } from '../../../src/zoo/index.js';
import { relativeError } from '../../helpers/compare.js';

async function compare(name: string, batch: number): Promise<void> {
  const entry = zooEntry(name);
  const reference = await Session.load(`zoo:${name}`, { backend: 'reference' });
  const cpu = await Session.load(`zoo:${name}`, { backend: 'cpu', threads: 2 });
  try {
    const info = reference.inputs[0];
    const input = syntheticInput(info, batch, entry.preprocessing);
    const want = (await reference.run({ [info.name]: input })).prob;
    const got = (await cpu.run({ [info.name]: input })).prob;
    expect(got.shape).toEqual(want.shape);
    expect(relativeError(got.data as Float32Array, want.data as Float32Array), `${name} batch ${batch}`).toBeLessThanOrEqual(1e-4);
  } finally {
    await reference.dispose();
    await cpu.dispose();
  }
}

describe('cpu backend: zoo networks against the reference', () => {
  it.each(['caffenet', 'alexnet', 'googlenet'])('%s at batch 1 (fully connected layers as GEMV)', (name) => compare(name, 1));
  it('caffenet at batch 2 (fully connected layers as GEMM)', () => compare('caffenet', 2));
});

describe('cpu backend: dispose', () => {
  it('terminates the workers so that the process exits', () => {
    const src = (path: string): string => new URL(`../../../src/${path}`, import.meta.url).href;
    const script = join(mkdtempSync(join(tmpdir(), 'joule-')), 'dispose.mts');
    writeFileSync(script, `
      import { Session } from '${src('runtime/session.ts')}';
      import { Tensor } from '${src('core/tensor.ts')}';
      const s = await Session.load('zoo:googlenet', { backend: 'cpu', threads: 3 });
      await s.run({ data: Tensor.zeros('float32', [1, 3, 224, 224]) });
      await s.dispose();
      console.log('disposed');
    `);
    const out = execFileSync(process.execPath, ['--import', 'tsx', script], { timeout: 60_000, encoding: 'utf8' });
    expect(out.trim()).toBe('disposed');
  });
});

describe('cpu backend: fp16 weights', () => {
  it('run on the wasm kernels with the same top-1 as fp32, and say which stay float32', async () => {
    const entry = zooEntry('googlenet');
    const fp32 = await Session.load('zoo:googlenet', { backend: 'cpu' });
    const fp16 = await Session.load('zoo:googlenet', { backend: 'cpu', precision: 'fp16', profile: true });
    try {
      const input = syntheticInput(fp32.inputs[0], 1, entry.preprocessing);
      const want = (await fp32.run({ data: input })).prob.data as Float32Array;
      const got = (await fp16.run({ data: input })).prob.data as Float32Array;
      expect(got.indexOf(Math.max(...got))).toBe(want.indexOf(Math.max(...want)));
      expect(relativeError(got, want)).toBeLessThanOrEqual(3e-2);
      const steps = [...(await fp16.profile()).keys()];
      expect(steps).toContain('f32_conv_gemm_6x8');
      expect(steps).not.toContain('Conv');
      expect(steps).not.toContain('Cast');
      expect((await fp16.warnings()).join()).toMatch(/keeps [0-9.]+ MB of the model's float16 weights as float32 or wider: those of convolutions it runs by Winograd/);
    } finally {
      await fp32.dispose();
      await fp16.dispose();
    }
  }, 120_000);
});
