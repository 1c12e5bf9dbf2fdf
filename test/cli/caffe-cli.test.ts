import { joule } from '../helpers/cli.js';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runGraph } from '../../src/backends/reference/interpreter.js';
import { Tensor } from '../../src/core/tensor.js';
import { decodeCaffe } from '../../src/formats/caffe/index.js';
import { readNpy, writeNpy } from '../../src/formats/npy.js';
import { decodeOnnx } from '../../src/formats/onnx/decode.js';
import { relativeError } from '../helpers/compare.js';
import { preprocessingOf } from '../../src/zoo/index.js';
import { encodeBlob, encodeCaffemodel, smallNet } from '../formats/caffe-fixtures.js';


let dir: string;
const net = smallNet();
const paths = { prototxt: '', weights: '', mean: '' };
const input = Tensor.from('float32', Array.from({ length: 2 * 3 * 6 * 6 }, (_, i) => Math.cos(i) * 20), [2, 3, 6, 6]);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'joule-caffe-cli-'));
  paths.prototxt = join(dir, 'deploy.prototxt');
  paths.weights = join(dir, 'small.caffemodel');
  paths.mean = join(dir, 'mean.binaryproto');
  await writeFile(paths.prototxt, net.prototxt);
  await writeFile(paths.weights, encodeCaffemodel(net.weights));
  await writeFile(paths.mean, encodeBlob(net.mean, true));
  await writeFile(join(dir, 'x.npy'), writeNpy(input));
});

/** The net's output on `input`, decoded and run in this process. */
function expected(): Tensor {
  const model = decodeCaffe(net.prototxt, { weights: encodeCaffemodel(net.weights) });
  return runGraph(model.graph, new Map([['data', input]]))[0];
}

describe('joule with Caffe models', () => {
  it('run deploy.prototxt --weights model.caffemodel writes the outputs', async () => {
    const out = join(dir, 'out');
    const r = await joule('run', paths.prototxt, '--weights', paths.weights, '--input', `data=${join(dir, 'x.npy')}`, '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const prob = readNpy(await readFile(join(out, 'prob.npy')));
    expect(prob.shape).toEqual([2, 3]);
    // The session folds the BatchNorm into the convolution: the same numbers, rounded differently.
    expect(relativeError(prob.data as Float32Array, expected().data as Float32Array)).toBeLessThanOrEqual(1e-5);
  });

  it('run without weights fails naming the layers that need them', async () => {
    const r = await joule('run', paths.prototxt, '--synthetic');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("need trained weights and no weights were given: 'conv' (Convolution)");
  });

  it('run with --mean feeds a synthetic image preprocessed with the mean', async () => {
    const r = await joule('run', paths.prototxt, '-w', paths.weights, '--mean', paths.mean, '--synthetic', '--batch', '2', '--top', '2');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('image 1:');
  });

  it('info reads a definition without weights: shapes need none', async () => {
    const r = await joule('info', paths.prototxt);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('no weights given');
    expect(r.stdout).toMatch(/conv\s+Conv\s+\[N, 4, 6, 6\]/);
    expect(r.stdout).toMatch(/pool\s+AveragePool\s+\[N, 4, 4, 4\]/);
    // 326 in the definition; folding the BatchNorm (4 channels x 4 statistics) into the convolution leaves 310.
    expect(r.stdout).toContain('parameters: 310');
  });

  it('convert writes an ONNX file that computes the same, with the mean as preprocessing metadata', async () => {
    const file = join(dir, 'small.onnx');
    const r = await joule('convert', paths.prototxt, '--weights', paths.weights, '--mean', paths.mean, '-o', file);
    expect(r.code, r.stderr).toBe(0);
    const model = decodeOnnx(await readFile(file));
    expect(model.graph.nodes.map((n) => n.name)).toContain('bn');
    const [prob] = runGraph(model.graph, new Map([['data', input]]));
    expect(Array.from(prob.data as Float32Array)).toEqual(Array.from(expected().data as Float32Array));
    expect(preprocessingOf(model)).toMatchObject({ inputName: 'data', size: 6, resize: 4, channelOrder: 'BGR', mean: [100.5, 110.5, 120.5] });
  });

  it('convert reports a broken weights file as a decode error', async () => {
    const broken = join(dir, 'broken.caffemodel');
    const bytes = encodeCaffemodel(net.weights);
    await writeFile(broken, bytes.subarray(0, bytes.length - 7));
    const r = await joule('convert', paths.prototxt, '--weights', broken, '-o', join(dir, 'never.onnx'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^joule: broken\.caffemodel: not a valid Caffe weights file/);
  });
});
