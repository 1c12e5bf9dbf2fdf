// Caffe layers on top of GraphBuilder. Each method adds one Caffe layer as ONNX nodes named after it,
// creates its seeded parameters, and tracks the per-image output shape so that a network can size its
// later layers (fc6's fan-in, GoogLeNet's final pooling window) from the input size it was built for.

import { fail } from '../core/errors.js';
import { windowOutputSize } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import { float, GraphBuilder, int, ints } from '../ir/builder.js';
import type { Graph } from '../ir/graph.js';
import { heStd, uniformTensor } from './weights.js';

/** A value of the network and its shape for one image: [C, H, W], or [F] after a fully connected layer. */
export interface Blob {
  readonly name: string;
  readonly dims: readonly number[];
}

export interface ConvSpec {
  readonly out: number;
  readonly kernel: number;
  readonly stride?: number;
  readonly pad?: number;
  readonly group?: number;
}

/** How the seeded parameters are scaled. */
export interface WeightScaling {
  readonly seed: number;
  /** Standard deviation of the biases of layers followed by a ReLU. */
  readonly biasStd: number;
}

export class NetBuilder {
  private readonly g: GraphBuilder;
  private parameters = 0;

  constructor(
    name: string,
    private readonly scaling: WeightScaling,
  ) {
    this.g = new GraphBuilder(name, 17);
  }

  /** The graph input: a batch of images with a symbolic batch dimension 'N'. */
  input(name: string, channels: number, size: number): Blob {
    return { name: this.g.input(name, 'float32', ['N', channels, size, size]), dims: [channels, size, size] };
  }

  /** Convolution (rounds down) with He-scaled weights [out, in/group, k, k] and small biases. */
  conv(name: string, x: Blob, spec: ConvSpec): Blob {
    const [c, h, w] = spatial(name, x);
    const { out, kernel, stride = 1, pad = 0, group = 1 } = spec;
    if (c % group !== 0 || out % group !== 0) fail('BAD_ARGUMENT', `${name}: ${c} -> ${out} channels do not split into ${group} groups`);
    const fanIn = (c / group) * kernel * kernel;
    const weight = this.param(`${name}_w`, [out, c / group, kernel, kernel], heStd(fanIn));
    const bias = this.param(`${name}_b`, [out], this.scaling.biasStd);
    const attrs = {
      kernel_shape: ints([kernel, kernel]),
      strides: ints([stride, stride]),
      pads: ints([pad, pad, pad, pad]),
      group: int(group),
    };
    const dims = [out, outSize(name, h, kernel, stride, pad, false), outSize(name, w, kernel, stride, pad, false)];
    return { name: this.add('Conv', name, [x.name, weight, bias], attrs), dims };
  }

  relu(name: string, x: Blob): Blob {
    return { name: this.add('Relu', name, [x.name]), dims: x.dims };
  }

  /** Max pooling with Caffe's rounding up (ceil_mode=1). */
  maxPool(name: string, x: Blob, kernel: number, stride: number, pad = 0): Blob {
    return this.pool('MaxPool', name, x, kernel, stride, pad);
  }

  /** Average pooling with Caffe's rounding up (ceil_mode=1). */
  averagePool(name: string, x: Blob, kernel: number, stride: number): Blob {
    return this.pool('AveragePool', name, x, kernel, stride, 0);
  }

  /** Caffe's across-channel LRN: x / (1 + alpha/n * sum of squares over n channels)^beta. */
  lrn(name: string, x: Blob, size = 5, alpha = 1e-4, beta = 0.75): Blob {
    const attrs = { size: int(size), alpha: float(alpha), beta: float(beta), bias: float(1) };
    return { name: this.add('LRN', name, [x.name], attrs), dims: x.dims };
  }

  /** Channel concatenation, in the order given. */
  concat(name: string, xs: readonly Blob[]): Blob {
    const dims = xs.map((x) => spatial(name, x));
    const [, h, w] = dims[0];
    if (dims.some((d) => d[1] !== h || d[2] !== w)) fail('INTERNAL', `${name}: branches differ in spatial size`);
    const channels = dims.reduce((sum, d) => sum + d[0], 0);
    return { name: this.add('Concat', name, xs.map((x) => x.name), { axis: int(1) }), dims: [channels, h, w] };
  }

  /**
   * Dropout, the identity at inference. The ratio is kept as a Constant node rather than an
   * initializer so that the initializers are exactly the network's parameters. Caffe's default
   * ratio 0.5 is also ONNX's, so it is written only when it differs.
   */
  dropout(name: string, x: Blob, ratio: number): Blob {
    const inputs = [x.name];
    if (ratio !== 0.5) {
      const value = Tensor.scalar('float32', ratio);
      inputs.push(this.g.node('Constant', [], { value }, { name: `${name}_ratio`, outputs: [`${name}_ratio`] })[0]);
    }
    return { name: this.add('Dropout', name, inputs), dims: x.dims };
  }

  /**
   * Caffe's InnerProduct: Flatten (when the input is an image) then Gemm with weights [out, in] as
   * Caffe stores them (transB=1). `std` defaults to He scaling for a layer followed by a ReLU.
   */
  fullyConnected(name: string, x: Blob, out: number, std?: number, biasStd?: number): Blob {
    let input = x.name;
    const fanIn = x.dims.reduce((p, d) => p * d, 1);
    if (x.dims.length !== 1) input = this.add('Flatten', `${name}_flatten`, [x.name], { axis: int(1) });
    const weight = this.param(`${name}_w`, [out, fanIn], std ?? heStd(fanIn));
    const bias = this.param(`${name}_b`, [out], biasStd ?? this.scaling.biasStd);
    return { name: this.add('Gemm', name, [input, weight, bias], { transB: int(1) }), dims: [out] };
  }

  softmax(name: string, x: Blob): Blob {
    return { name: this.add('Softmax', name, [x.name], { axis: int(1) }), dims: x.dims };
  }

  /** Marks a blob as a graph output and returns the finished graph with its parameter count. */
  finish(output: Blob): { graph: Graph; parameters: number } {
    this.g.output(output.name, 'float32', ['N', ...output.dims]);
    return { graph: this.g.build(), parameters: this.parameters };
  }

  private pool(op: 'MaxPool' | 'AveragePool', name: string, x: Blob, kernel: number, stride: number, pad: number): Blob {
    const [c, h, w] = spatial(name, x);
    const attrs = {
      kernel_shape: ints([kernel, kernel]),
      strides: ints([stride, stride]),
      pads: ints([pad, pad, pad, pad]),
      ceil_mode: int(1),
    };
    const dims = [c, outSize(name, h, kernel, stride, pad, true), outSize(name, w, kernel, stride, pad, true)];
    return { name: this.add(op, name, [x.name], attrs), dims };
  }

  /** A node named after its Caffe layer whose single output value carries the same name. */
  private add(op: string, name: string, inputs: readonly string[], attrs: Parameters<GraphBuilder['node']>[2] = {}): string {
    return this.g.node(op, inputs, attrs, { name, outputs: [name] })[0];
  }

  private param(name: string, shape: readonly number[], std: number): string {
    const t = uniformTensor(this.scaling.seed, name, shape, std);
    this.parameters += t.size;
    return this.g.initializer(name, t);
  }
}

function spatial(layer: string, x: Blob): readonly [number, number, number] {
  if (x.dims.length !== 3) fail('INTERNAL', `${layer} needs an image input, got a vector of ${x.dims.join('x')}`);
  return [x.dims[0], x.dims[1], x.dims[2]];
}

function outSize(layer: string, input: number, kernel: number, stride: number, pad: number, ceil: boolean): number {
  const out = input + 2 * pad >= kernel || ceil ? windowOutputSize(input, kernel, stride, pad, pad, 1, ceil) : 0;
  if (out < 1) fail('BAD_ARGUMENT', `${layer}: a ${input}x${input} input is too small for a ${kernel}x${kernel} window; use a larger input size`);
  return out;
}
