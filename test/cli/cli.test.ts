import { joule } from '../helpers/cli.js';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { readNpy, writeNpy } from '../../src/formats/npy.js';
import { decodeOnnx } from '../../src/formats/onnx/decode.js';
import { encodeOnnx } from '../../src/formats/onnx/encode.js';
import { GraphBuilder, int } from '../../src/ir/builder.js';
import { gpuMissing } from '../backends/webgpu/gpu.js';


let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'joule-cli-'));
});

describe('joule CLI', () => {
  it('zoo list names the built-in networks', async () => {
    const r = await joule('zoo', 'list');
    expect(r.code).toBe(0);
    for (const name of ['caffenet', 'alexnet', 'googlenet']) expect(r.stdout).toContain(name);
  });

  it('zoo export writes an ONNX file with every parameter', async () => {
    const file = join(dir, 'googlenet.onnx');
    const r = await joule('zoo', 'export', 'googlenet', '-o', file);
    expect(r.code, r.stderr).toBe(0);
    const model = decodeOnnx(await readFile(file));
    let params = 0;
    for (const t of model.graph.initializers.values()) params += t.size;
    expect(params).toBe(6_998_552);
  });

  it('info prints shapes, parameters and multiply-adds per image', async () => {
    const r = await joule('info', 'zoo:caffenet');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('parameters: 60,965,224');
    expect(r.stdout).toMatch(/conv1\s+Conv\s+\[N, 96, 55, 55\]\s+105\.\d/);
    expect(r.stdout).toMatch(/per image: 0\.72\d GMAC, 1\.4\d\d GFLOP/);
  });

  it('info --plan times every layer and names its algorithm (cpu, webgpu), or says it cannot (reference)', async () => {
    const reference = await joule('info', 'zoo:caffenet', '--plan', '--runs', '1');
    expect(reference.code, reference.stderr).toBe(0);
    expect(reference.stdout).toMatch(/the reference backend does not time single layers/);
    const cpu = await joule('info', 'zoo:googlenet', '--plan', '--backend', 'cpu', '--runs', '1');
    expect(cpu.code, cpu.stderr).toBe(0);
    // A 3x3 convolution runs the measured fastest of its candidates.
    expect(cpu.stdout).toMatch(/inception_5b\/3x3\s+Conv\s+(gemm im2col 6x8|winograd F\([24]x[24],3x3\))\s+\d+\.\d+\s+\d+\.\d/);
    expect(cpu.stdout).toMatch(/inception_5b\/1x1\s+Conv\s+gemm 1x1 6x8\s/);
    expect(cpu.stdout).toMatch(/loss3\/classifier\s+Gemm\s+gemv 4x4/);
    if (gpuMissing !== undefined) return;
    const gpu = await joule('info', 'zoo:googlenet', '--plan', '--backend', 'webgpu', '--batch', '2', '--runs', '1');
    expect(gpu.code, gpu.stderr).toBe(0);
    expect(gpu.stdout).toMatch(/batch 2: mean of 1 runs/);
    expect(gpu.stdout).toMatch(/inception_5b\/3x3\s+Conv\s+gemm \d+x\d+v?( split-K \d+)?\s+\d+\.\d+\s+\d+\.\d/);
    expect(gpu.stdout).toMatch(/sum over the layers: \d+\.\d+ ms a run/);
  }, 300_000);

  it('run reads .npy inputs and writes one .npy per output', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', ['N', 3]);
    const y = b.op('Softmax', [x], { axis: int(1) }, 'y');
    const m = b.op('Relu', [x], {}, 'm');
    b.output(y, 'float32', ['N', 3]);
    b.output(m, 'float32', ['N', 3]);
    const model = join(dir, 'tiny.onnx');
    await writeFile(model, encodeOnnx({ graph: b.build(), producer: 'test', metadata: {} }));
    const input = join(dir, 'x.npy');
    await writeFile(input, writeNpy(Tensor.from('float32', [0, 0, 0, -1, 2, 3], [2, 3])));
    const out = join(dir, 'out');
    const r = await joule('run', model, '--input', `x=${input}`, '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const yv = readNpy(await readFile(join(out, 'y.npy')));
    expect(yv.shape).toEqual([2, 3]);
    expect((yv.data as Float32Array)[0]).toBeCloseTo(1 / 3, 6);
    expect(Array.from(readNpy(await readFile(join(out, 'm.npy'))).data as Float32Array)).toEqual([0, 0, 0, 0, 2, 3]);
  });

  it('errors go to stderr with a non-zero exit and no stack trace unless --verbose', async () => {
    const r = await joule('run', join(dir, 'missing.onnx'), '--synthetic');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^joule: cannot read ONNX model/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const v = await joule('--verbose', 'run', join(dir, 'missing.onnx'), '--synthetic');
    expect(v.code).not.toBe(0);
    expect(v.stderr).toMatch(/\n\s+at /);
    const bad = await joule('run', 'zoo:nonet');
    expect(bad.stderr).toContain('caffenet');
  });
});
