/**
 * Small networks in the shapes PyTorch's exporter writes for classic CNNs (ResNet blocks with
 * BatchNormalization and residual Add, MobileNet v2's Clip as ReLU6 and depthwise convolution,
 * SqueezeNet's fire-module Concat, DenseNet's transition AveragePool, x.view(x.size(0), -1) as
 * Shape/Gather/Unsqueeze/Concat/Reshape, LocalResponseNorm), and of newer ones (EfficientNet's SiLU and
 * squeeze-excitation, ShuffleNet's channel shuffle, a vision transformer's attention with LayerNorm and
 * an Erf GELU), run on each of joule's backends (webgpu where an adapter exists) and on onnxruntime-node
 * at batch 1 and 3.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { encodeOnnx } from '../../src/formats/onnx/encode.js';
import { GraphBuilder, float, int, ints } from '../../src/ir/builder.js';
import type { Graph } from '../../src/ir/graph.js';
import { Session } from '../../src/runtime/session.js';
import { syntheticInput } from '../../src/runtime/synthetic.js';
import type { BackendName } from '../../src/backends/index.js';
import { relativeError } from '../helpers/compare.js';
import { gpuMissing } from '../backends/webgpu/gpu.js';

class Net {
  readonly b: GraphBuilder;
  private seed = 12345;
  constructor(readonly opset: number) {
    this.b = new GraphBuilder('net', opset);
  }
  random(shape: number[], scale: number): Tensor<'float32'> {
    const t = Tensor.zeros('float32', shape);
    for (let i = 0; i < t.size; i++) {
      this.seed = (Math.imul(this.seed, 1103515245) + 12345) >>> 0;
      t.data[i] = (this.seed / 2 ** 32 - 0.5) * 2 * scale;
    }
    return t;
  }
  conv(x: string, cin: number, cout: number, k: number, opts: { stride?: number; pad?: number; group?: number; bias?: boolean } = {}): string {
    const group = opts.group ?? 1;
    const w = this.b.initializer('w', this.random([cout, cin / group, k, k], Math.sqrt(3 / ((cin / group) * k * k))));
    const inputs = [x, w];
    if (opts.bias !== false) inputs.push(this.b.initializer('b', this.random([cout], 0.1)));
    const p = opts.pad ?? Math.floor(k / 2);
    return this.b.op('Conv', inputs, { kernel_shape: ints([k, k]), strides: ints([opts.stride ?? 1, opts.stride ?? 1]), pads: ints([p, p, p, p]), group: int(group) });
  }
  bn(x: string, c: number): string {
    const scale = this.b.initializer('gamma', this.random([c], 0.5));
    const shift = this.b.initializer('beta', this.random([c], 0.2));
    const mean = this.b.initializer('mean', this.random([c], 0.2));
    const variance = this.b.initializer('var', Tensor.from('float32', Array.from({ length: c }, (_, i) => 0.5 + (i % 7) / 7)));
    const gamma = this.b.op('Add', [scale, this.b.initializer('one', Tensor.from('float32', [1.0]))]);
    return this.b.op('BatchNormalization', [x, gamma, shift, mean, variance], { epsilon: float(1e-5) });
  }
  /** PyTorch's x.view(x.size(0), -1). */
  view(x: string): string {
    const shape = this.b.op('Shape', [x]);
    const n = this.b.op('Gather', [shape, this.b.initializer('zero', Tensor.from('int64', [0], []))], { axis: int(0) });
    const nu =
      this.opset >= 13
        ? this.b.op('Unsqueeze', [n, this.b.initializer('axes', Tensor.from('int64', [0]))])
        : this.b.op('Unsqueeze', [n], { axes: ints([0]) });
    const target = this.b.op('Concat', [nu, this.b.initializer('minus_one', Tensor.from('int64', [-1]))], { axis: int(0) });
    return this.b.op('Reshape', [x, target]);
  }
  fc(x: string, cin: number, cout: number): string {
    const w = this.b.initializer('fc_w', this.random([cout, cin], Math.sqrt(3 / cin) * 3));
    return this.b.op('Gemm', [x, w, this.b.initializer('fc_b', this.random([cout], 0.1))], { transB: int(1) });
  }
  finish(logits: string, classes: number): Graph {
    const p = this.b.op('Softmax', [logits], { axis: int(1) }, 'prob');
    this.b.output(p, 'float32', ['N', classes]);
    return this.b.build();
  }
}

function resnetLike(): Graph {
  const n = new Net(13);
  const x = n.b.input('input', 'float32', ['N', 3, 32, 32]);
  let h = n.b.op('Relu', [n.bn(n.conv(x, 3, 16, 7, { stride: 2, bias: false }), 16)]);
  h = n.b.op('MaxPool', [h], { kernel_shape: ints([3, 3]), strides: ints([2, 2]), pads: ints([1, 1, 1, 1]) });
  const r = n.bn(n.conv(n.b.op('Relu', [n.bn(n.conv(h, 16, 16, 3, { bias: false }), 16)]), 16, 16, 3, { bias: false }), 16);
  h = n.b.op('Relu', [n.b.op('Add', [r, h])]);
  const down = n.bn(n.conv(h, 16, 32, 1, { stride: 2, bias: false }), 32);
  const r2 = n.bn(n.conv(n.b.op('Relu', [n.bn(n.conv(h, 16, 32, 3, { stride: 2, bias: false }), 32)]), 32, 32, 3, { bias: false }), 32);
  h = n.b.op('Relu', [n.b.op('Add', [r2, down])]);
  h = n.b.op('Flatten', [n.b.op('GlobalAveragePool', [h])], { axis: int(1) });
  return n.finish(n.fc(h, 32, 10), 10);
}

function mobilenetLike(): Graph {
  const n = new Net(13);
  const x = n.b.input('input', 'float32', ['N', 3, 24, 24]);
  const lo = n.b.initializer('min', Tensor.from('float32', [0], []));
  const hi = n.b.initializer('max', Tensor.from('float32', [6], []));
  const relu6 = (t: string): string => n.b.op('Clip', [t, lo, hi]);
  let h = relu6(n.bn(n.conv(x, 3, 16, 3, { stride: 2, bias: false }), 16));
  const e = relu6(n.bn(n.conv(h, 16, 48, 1, { bias: false }), 48));
  const d = relu6(n.bn(n.conv(e, 48, 48, 3, { group: 48, bias: false }), 48));
  h = n.b.op('Add', [h, n.bn(n.conv(d, 48, 16, 1, { bias: false }), 16)]);
  h = n.b.op('ReduceMean', [h], { axes: ints([2, 3]), keepdims: int(0) });
  return n.finish(n.fc(h, 16, 10), 10);
}

function squeezeDenseLike(): Graph {
  const n = new Net(11);
  const x = n.b.input('input', 'float32', ['N', 3, 33, 33]);
  let h = n.b.op('Relu', [n.conv(x, 3, 16, 3, { stride: 2, pad: 0 })]);
  h = n.b.op('MaxPool', [h], { kernel_shape: ints([3, 3]), strides: ints([2, 2]), ceil_mode: int(1) });
  const s = n.b.op('Relu', [n.conv(h, 16, 8, 1)]);
  h = n.b.op('Concat', [n.b.op('Relu', [n.conv(s, 8, 16, 1)]), n.b.op('Relu', [n.conv(s, 8, 16, 3)])], { axis: int(1) });
  const grown = n.b.op('Relu', [n.bn(n.conv(h, 32, 8, 3), 8)]);
  h = n.b.op('Concat', [h, grown], { axis: int(1) });
  h = n.b.op('AveragePool', [n.conv(h, 40, 20, 1)], { kernel_shape: ints([2, 2]), strides: ints([2, 2]) });
  h = n.b.op('LRN', [h], { size: int(5), alpha: float(1e-4), beta: float(0.75), bias: float(1) });
  h = n.b.op('Dropout', [h], { ratio: float(0.5) });
  return n.finish(n.fc(n.view(h), 20 * 4 * 4, 10), 10);
}

function efficientnetLike(): Graph {
  const n = new Net(13);
  const x = n.b.input('input', 'float32', ['N', 3, 20, 20]);
  const silu = (t: string): string => n.b.op('Mul', [t, n.b.op('Sigmoid', [t])]);
  const h = silu(n.bn(n.conv(x, 3, 16, 3, { stride: 2, bias: false }), 16));
  const d = silu(n.bn(n.conv(h, 16, 16, 3, { group: 16, bias: false }), 16));
  // Squeeze-excitation: a per-channel gate from the pooled features.
  const squeezed = silu(n.conv(n.b.op('GlobalAveragePool', [d]), 16, 4, 1));
  const gate = n.b.op('Sigmoid', [n.conv(squeezed, 4, 16, 1)]);
  const e = n.b.op('Add', [h, n.bn(n.conv(n.b.op('Mul', [d, gate]), 16, 16, 1, { bias: false }), 16)]);
  return n.finish(n.fc(n.b.op('Flatten', [n.b.op('GlobalAveragePool', [e])], { axis: int(1) }), 16, 10), 10);
}

function shufflenetLike(): Graph {
  const n = new Net(13);
  const x = n.b.input('input', 'float32', ['N', 3, 16, 16]);
  const h = n.b.op('Relu', [n.conv(x, 3, 12, 3, { stride: 2 })]);
  // Channel shuffle of 3 groups of 4: Reshape [N, 3, 4, H, W], swap the two channel axes, Reshape back.
  const shape5 = n.b.initializer('shape5', Tensor.from('int64', [0, 3, 4, 8, 8]));
  const shape4 = n.b.initializer('shape4', Tensor.from('int64', [0, 12, 8, 8]));
  const swapped = n.b.op('Transpose', [n.b.op('Reshape', [h, shape5])], { perm: ints([0, 2, 1, 3, 4]) });
  const shuffled = n.b.op('Reshape', [swapped, shape4]);
  const g = n.b.op('Relu', [n.conv(shuffled, 12, 12, 3, { group: 3 })]);
  return n.finish(n.fc(n.b.op('Flatten', [n.b.op('GlobalAveragePool', [g])], { axis: int(1) }), 12, 10), 10);
}

function vitLike(): Graph {
  const n = new Net(17);
  const x = n.b.input('input', 'float32', ['N', 3, 16, 16]);
  const dim = 8;
  // Patches of 4x4 as tokens: a strided convolution, then [N, dim, 16] -> [N, 16, dim].
  const patches = n.conv(x, 3, dim, 4, { stride: 4, pad: 0 });
  const tokens = n.b.op('Transpose', [n.b.op('Reshape', [patches, n.b.initializer('tok', Tensor.from('int64', [0, dim, 16]))])], { perm: ints([0, 2, 1]) });
  const norm = n.b.op('LayerNormalization', [tokens, n.b.initializer('ln_g', n.random([dim], 1)), n.b.initializer('ln_b', n.random([dim], 0.1))], { axis: int(-1) });
  const project = (t: string, name: string): string => n.b.op('MatMul', [t, n.b.initializer(name, n.random([dim, dim], 0.5))]);
  const [q, k, v] = [project(norm, 'wq'), project(norm, 'wk'), project(norm, 'wv')];
  const scores = n.b.op('Mul', [n.b.op('MatMul', [q, n.b.op('Transpose', [k], { perm: ints([0, 2, 1]) })]), n.b.initializer('scale', Tensor.from('float32', [1 / Math.sqrt(dim)], []))]);
  const attended = n.b.op('MatMul', [n.b.op('Softmax', [scores], { axis: int(-1) }), v]);
  const h = n.b.op('Add', [tokens, attended]);
  // GELU as exporters write it: 0.5 x (1 + erf(x / sqrt 2)).
  const half = n.b.initializer('half', Tensor.from('float32', [0.5], []));
  const one = n.b.initializer('one_', Tensor.from('float32', [1], []));
  const gelu = n.b.op('Mul', [n.b.op('Mul', [h, half]), n.b.op('Add', [one, n.b.op('Erf', [n.b.op('Div', [h, n.b.initializer('sqrt2', Tensor.from('float32', [Math.SQRT2], []))])])])]);
  const pooled = n.b.op('ReduceMean', [gelu], { axes: ints([1]), keepdims: int(0) });
  return n.finish(n.fc(pooled, dim, 10), 10);
}

const backendsHere: BackendName[] = ['reference', 'cpu', ...(gpuMissing === undefined ? (['webgpu'] as const) : [])];

describe.each([
  ['ResNet-style', resnetLike],
  ['MobileNet v2-style', mobilenetLike],
  ['SqueezeNet/DenseNet-style', squeezeDenseLike],
  ['EfficientNet-style', efficientnetLike],
  ['ShuffleNet-style', shufflenetLike],
  ['ViT-style', vitLike],
] as const)('%s network: joule vs onnxruntime-node', (_name, build) => {
  it.each(backendsHere)('%s agrees at batch 1 and 3 within 1e-4 relative error', async (backend) => {
    const bytes = encodeOnnx({ graph: build(), producer: 'test', metadata: {} });
    const peer = await ort.InferenceSession.create(bytes);
    const session = await Session.load(bytes, { backend, threads: 2, tune: 'heuristic' });
    for (const batch of [1, 3]) {
      const input = syntheticInput(session.inputs[0], batch);
      const ours = (await session.run({ input })).prob;
      const theirs = (await peer.run({ input: new ort.Tensor('float32', input.data as Float32Array, [...input.shape]) })).prob;
      expect(ours.shape).toEqual([...theirs.dims]);
      expect(relativeError(ours.data as Float32Array, theirs.data as Float32Array)).toBeLessThanOrEqual(1e-4);
    }
    await session.dispose();
    await peer.release();
  });
});
