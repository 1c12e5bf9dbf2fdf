import { describe, expect, it } from 'vitest';
import { benchCommand, matrixFromOptions, quickLimits } from '../../src/cli/bench-command.js';

/** Parses a command line without running the benchmark. */
function parse(args: string[]): { models: string[]; opts: Record<string, unknown> } {
  const command = benchCommand().exitOverride();
  let captured: { models: string[]; opts: Record<string, unknown> } | undefined;
  command.action((models: string[], opts: Record<string, unknown>) => {
    captured = { models, opts };
  });
  command.parse(args, { from: 'user' });
  return captured!;
}

describe('joule bench command line', () => {
  it('parses lists of precisions, batches, backends and scenarios', () => {
    const { models, opts } = parse(['googlenet', '--backends', 'cpu,onnxruntime-node', '--precision', 'fp16', '--batch', '1,48', '--scenario', 'throughput', '--power-watts', '65']);
    expect(models).toEqual(['googlenet']);
    expect(opts).toMatchObject({ backends: ['cpu', 'onnxruntime-node'], precision: ['fp16'], batch: [1, 48], scenario: ['throughput'], powerWatts: 65, p99Ms: 100 });
  });

  it('refuses unknown backends and precisions', () => {
    expect(() => parse(['--backends', 'tpu'])).toThrow(/unknown backend 'tpu'/);
    expect(() => parse(['--precision', 'int8'])).toThrow(/unknown precision 'int8'/);
  });

  it('makes --quick a short CaffeNet matrix, webgpu at batch 1 fp32 only', async () => {
    const { models, opts } = parse(['--quick']);
    const noGpu = await matrixFromOptions(models, opts as never, 'joule bench --quick', async () => ({ reason: 'no adapter' }));
    expect(noGpu).toMatchObject({ models: ['caffenet'], batches: [1, 8], precisions: ['fp32', 'fp16'], limits: quickLimits, accuracyInputs: 4 });
    expect(noGpu.runtimes.map((r) => `${r.runtime} ${r.backend}`)).toEqual(['joule cpu', 'onnxruntime-node cpu', 'onnxruntime-web wasm']);
    const gpu = await matrixFromOptions(models, opts as never, 'joule bench --quick', async () => ({ adapter: 'llvmpipe' }));
    expect(gpu.runtimes.map((r) => r.backend)).toContain('webgpu');
    const point = { scenario: 'throughput' as const, batch: 8, limits: quickLimits };
    expect(gpu.pointFilter?.({ runtime: 'joule', backend: 'webgpu' }, 'fp32', point)).toBeUndefined();
    expect(gpu.pointFilter?.({ runtime: 'joule', backend: 'webgpu' }, 'fp32', { ...point, batch: 1 })).toBeDefined();
    expect(gpu.pointFilter?.({ runtime: 'joule', backend: 'cpu' }, 'fp16', point)).toBe(point);
  });

  it('leaves a software adapter out of the full matrix, keeps a hardware one, and takes --backends as given', async () => {
    const { models, opts } = parse([]);
    const notes: string[] = [];
    const soft = await matrixFromOptions(models, opts as never, 'joule bench', async () => ({ adapter: 'llvmpipe', software: true }), (l) => notes.push(l));
    expect(soft.runtimes.map((r) => r.backend)).toEqual(['cpu', 'cpu', 'wasm']);
    expect(notes[0]).toMatch(/software one \(llvmpipe\); --backends webgpu/);
    const hard = await matrixFromOptions(models, opts as never, 'joule bench', async () => ({ adapter: 'NVIDIA H100', software: false }));
    expect(hard.runtimes.map((r) => `${r.runtime} ${r.backend}`)).toEqual(['joule cpu', 'joule webgpu', 'joule webgpu-resident', 'onnxruntime-node cpu', 'onnxruntime-web wasm']);
    expect(hard).toMatchObject({ models: ['caffenet', 'googlenet'], precisions: ['fp32', 'fp16'] });
    expect(parse(['--backends', 'webgpu-resident']).opts.backends).toEqual(['webgpu-resident']);
    const asked = parse(['--backends', 'webgpu']);
    const given = await matrixFromOptions(asked.models, asked.opts as never, 'joule bench', async () => ({ adapter: 'llvmpipe', software: true }));
    expect(given.runtimes.map((r) => r.backend)).toEqual(['webgpu']);
  });
});
