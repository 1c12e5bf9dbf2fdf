import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { decodeCaffe } from '../../src/formats/caffe/index.js';
import { Ident, type TextMessage, encodeCaffemodel, toPrototxt } from './caffe-fixtures.js';
import { blob, forward, load, net, t, values } from './caffe-helpers.js';
import { catchJouleError } from '../helpers/errors.js';

const layer = (name: string, type: string, bottom: string | string[], top: string | string[], extra: TextMessage = {}): TextMessage => ({ name, type, bottom, top, ...extra });

describe('Caffe layers', () => {
  it('InnerProduct: Flatten(axis) + Gemm, weights [out, in] or [in, out] with transpose, with or without bias', () => {
    const x = t([1, 2, 3, 4, 5, 6], [1, 2, 3]);
    const layers = [
      layer('ip', 'InnerProduct', 'data', 'ip', { inner_product_param: { num_output: 2 }, blobs: [blob([1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0], [2, 6]), blob([10, 20], [2])] }),
      layer('ipt', 'InnerProduct', 'data', 'ipt', { inner_product_param: { num_output: 1, transpose: true, bias_term: false }, blobs: [blob([1, 1, 1, 1, 1, 1], [6, 1])] }),
      layer('ip2', 'InnerProduct', 'data', 'ip2', { inner_product_param: { num_output: 1, axis: 2 }, blobs: [blob([1, 10, 100], [1, 3]), blob([0.5], [1])] }),
    ];
    const out = forward(net({ data: [1, 2, 3] }, layers), { data: x });
    expect(values(out.ip)).toEqual([17, 22]); // x[0] + x[5] + 10, x[1] + 20
    expect(values(out.ipt)).toEqual([21]);
    expect(out.ip2.shape).toEqual([1, 2, 1]);
    expect(values(out.ip2)).toEqual([321.5, 654.5]);
  });

  it('Convolution: kernel, stride and pad as _h/_w or repeated values, dilation, group, bias_term', () => {
    const layers = [
      layer('c1', 'Convolution', 'data', 'c1', {
        convolution_param: { num_output: 2, kernel_h: 1, kernel_w: 3, stride_h: 2, stride_w: 1, pad_h: 0, pad_w: 1, group: 2, bias_term: false },
        blobs: [blob([0, 1, 0, 1, 1, 1], [2, 1, 1, 3])],
      }),
      layer('c2', 'Convolution', 'data', 'c2', { convolution_param: { num_output: 1, kernel_size: [2, 1], dilation: 2 }, blobs: [blob([1, 1, 1, 1], [1, 2, 2, 1]), blob([0], [1])] }),
    ];
    const model = load(net({ data: [1, 2, 4, 4] }, layers));
    const attrs = Object.fromEntries(model.graph.nodes.map((n) => [n.name, Object.fromEntries(Object.entries(n.attrs).map(([k, a]) => [k, a.value]))]));
    expect(attrs.c1).toEqual({ kernel_shape: [1, 3], strides: [2, 1], pads: [0, 1, 0, 1], dilations: [1, 1], group: 2 });
    expect(attrs.c2).toEqual({ kernel_shape: [2, 1], strides: [1, 1], pads: [0, 0, 0, 0], dilations: [2, 2], group: 1 });
    expect(model.graph.nodes[0].inputs).toHaveLength(2);
    const x = t(Array.from({ length: 32 }, (_, i) => i), [1, 2, 4, 4]);
    const out = forward(net({ data: [1, 2, 4, 4] }, layers), { data: x });
    expect(out.c1.shape).toEqual([1, 2, 2, 4]);
    expect(values(out.c1).slice(0, 4)).toEqual([0, 1, 2, 3]);
    expect(values(out.c2).slice(0, 2)).toEqual([0 + 8 + 16 + 24, 1 + 9 + 17 + 25]);
  });

  it('Deconvolution: ConvTranspose with weights [in, out/group, k...]', () => {
    const layers = [layer('up', 'Deconvolution', 'data', 'up', { convolution_param: { num_output: 1, kernel_size: 2, stride: 2 }, blobs: [blob([1, 2, 3, 4], [1, 1, 2, 2]), blob([0.5], [1])] })];
    const out = forward(net({ data: [1, 1, 2, 2] }, layers), { data: t([1, 10, 100, 1000], [1, 1, 2, 2]) });
    expect(out.up.shape).toEqual([1, 1, 4, 4]);
    expect(values(out.up).slice(0, 4)).toEqual([1.5, 2.5, 10.5, 20.5]);
    expect(values(out.up).slice(12)).toEqual([300.5, 400.5, 3000.5, 4000.5]);
  });

  it('Eltwise SUM with coefficients, PROD and MAX; Concat by concat_dim; Softmax over an axis', () => {
    const layers = [
      layer('sum', 'Eltwise', ['a', 'b', 'a'], 'sum', { eltwise_param: { coeff: [1, -2, 0.5] } }),
      layer('prod', 'Eltwise', ['a', 'b'], 'prod', { eltwise_param: { operation: new Ident('PROD') } }),
      layer('max', 'Eltwise', ['a', 'b'], 'max', { eltwise_param: { operation: new Ident('MAX') } }),
      layer('cat', 'Concat', ['a', 'b'], 'cat', { concat_param: { concat_dim: 0 } }),
      layer('soft', 'Softmax', 'a', 'soft', { softmax_param: { axis: 0 } }),
    ];
    const out = forward(net({ a: [1, 2], b: [1, 2] }, layers), { a: t([2, 4], [1, 2]), b: t([3, 1], [1, 2]) });
    expect(values(out.sum)).toEqual([-3, 4]);
    expect(values(out.prod)).toEqual([6, 4]);
    expect(values(out.max)).toEqual([3, 4]);
    expect(out.cat.shape).toEqual([2, 2]);
    expect(values(out.soft)).toEqual([1, 1]);
  });

  it('activations: ReLU with negative_slope, Sigmoid, TanH, AbsVal, BNLL, ELU, PReLU, Power', () => {
    const layers = [
      layer('relu', 'ReLU', 'data', 'relu', { relu_param: { negative_slope: 0.5 } }),
      layer('sig', 'Sigmoid', 'data', 'sig'),
      layer('tanh', 'TanH', 'data', 'tanh'),
      layer('abs', 'AbsVal', 'data', 'abs'),
      layer('bnll', 'BNLL', 'data', 'bnll'),
      layer('elu', 'ELU', 'data', 'elu', { elu_param: { alpha: 2 } }),
      layer('prelu', 'PReLU', 'data', 'prelu', { blobs: [blob([0.25, 3], [2])] }),
      layer('power', 'Power', 'data', 'power', { power_param: { power: 2, scale: 2, shift: 1 } }),
    ];
    const out = forward(net({ data: [1, 2, 1] }, layers), { data: t([-2, 1], [1, 2, 1]) });
    expect(values(out.relu)).toEqual([-1, 1]);
    expect(out.sig.data[1]).toBeCloseTo(1 / (1 + Math.exp(-1)), 6);
    expect(out.tanh.data[0]).toBeCloseTo(Math.tanh(-2), 6);
    expect(values(out.abs)).toEqual([2, 1]);
    expect(out.bnll.data[0]).toBeCloseTo(Math.log1p(Math.exp(-2)), 6);
    expect(out.elu.data[0]).toBeCloseTo(2 * (Math.exp(-2) - 1), 6);
    expect(values(out.prelu)).toEqual([-0.5, 1]);
    expect(values(out.power)).toEqual([9, 9]); // (1 + 2x)^2
  });

  it('Flatten (axis, end_axis) and Reshape (0 copies, -1 infers, axis and num_axes) as Caffe documents them', () => {
    const layers = [
      layer('flat', 'Flatten', 'data', 'flat'),
      layer('mid', 'Flatten', 'data', 'mid', { flatten_param: { axis: 1, end_axis: 2 } }),
      layer('r1', 'Reshape', 'data', 'r1', { reshape_param: { shape: { dim: [0, -1, 2] } } }),
      layer('r2', 'Reshape', 'data', 'r2', { reshape_param: { shape: { dim: [3, 1] }, axis: 1, num_axes: 1 } }),
      layer('r3', 'Reshape', 'data', 'r3', { reshape_param: { shape: { dim: [1] }, axis: -1, num_axes: 0 } }),
    ];
    const model = load(net({ data: [2, 3, 4, 2] }, layers));
    expect(Object.fromEntries(model.graph.outputs.map((o) => [o.name, o.shape]))).toEqual({
      flat: ['N', 24],
      mid: ['N', 12, 2],
      r1: ['N', 12, 2],
      r2: ['N', 3, 1, 4, 2],
      r3: ['N', 3, 4, 2, 1],
    });
    const out = forward(net({ data: [2, 3, 4, 2] }, layers), { data: Tensor.zeros('float32', [5, 3, 4, 2]) });
    expect(out.r2.shape).toEqual([5, 3, 1, 4, 2]);
  });
});

describe('Caffe nets', () => {
  it('keeps in-place layers SSA, names outputs after their blobs and values after their layers', () => {
    const layers = [
      layer('fc', 'InnerProduct', 'data', 'fc', { inner_product_param: { num_output: 2, bias_term: false }, blobs: [blob([1, 0, 0, 1], [2, 2])] }),
      layer('relu', 'ReLU', 'fc', 'fc'),
      layer('split', 'Split', 'fc', ['fc_a', 'fc_b']),
      layer('neg', 'Power', 'fc_a', 'neg', { power_param: { scale: -1 } }),
      layer('scale', 'Power', 'fc', 'fc', { power_param: { scale: 3 } }),
      layer('unused', 'Sigmoid', 'data', 'unused'),
      { name: 'quiet', type: 'Silence', bottom: 'unused' },
    ];
    const model = load(net({ data: [1, 2] }, layers));
    expect(model.graph.nodes.map((n) => `${n.name}:${n.outputs[0]}`)).toEqual(['fc:fc_1', 'relu:relu', 'neg:neg', 'scale:fc', 'unused:unused', 'fc_b:fc_b']);
    // Caffe's outputs: blobs nobody reads afterwards (Silence reads its bottoms); a Split top gets an Identity.
    expect(model.graph.outputs.map((o) => o.name)).toEqual(['fc_b', 'neg', 'fc']);
    const out = forward(net({ data: [1, 2] }, layers), { data: t([-1, 2], [1, 2]) });
    expect(values(out.fc_b)).toEqual([0, 2]);
    expect(values(out.neg)).toEqual([-0, -2]);
    expect(values(out.fc)).toEqual([0, 6]);
  });

  it('leaves out layers that do not run at inference (include/exclude rules on phase, level and stage)', () => {
    const text = toPrototxt({
      name: 'phases',
      state: { level: 2, stage: 'deploy' },
      layer: [
        layer('train_data', 'Data', [], ['data', 'label'], { include: { phase: new Ident('TRAIN') }, transform_param: { mirror: true, crop_size: 227 } }),
        { name: 'data', type: 'Input', top: 'data', input_param: { shape: { dim: [1, 2] } }, include: { phase: new Ident('TEST') } },
        layer('relu', 'ReLU', 'data', 'relu'),
        layer('gone', 'Sigmoid', 'relu', 'gone', { exclude: { stage: 'deploy' } }),
        layer('low', 'TanH', 'relu', 'low', { include: { max_level: 1 } }),
        layer('loss', 'SoftmaxWithLoss', ['relu', 'label'], 'loss', { include: { phase: new Ident('TRAIN') }, loss_param: { ignore_label: 1 } }),
      ],
    });
    expect(load(text).graph.outputs.map((o) => o.name)).toEqual(['relu']);
  });

  it('lists every layer it cannot convert in one error', () => {
    const e = catchJouleError(() => load(net({ data: [1, 2] }, [layer('a', 'Python', 'data', 'a'), layer('b', 'ReLU', 'a', 'b'), layer('c', 'ROIPooling', 'b', 'c')])));
    expect(e.code).toBe('UNSUPPORTED_OPS');
    expect(e.message).toContain("2 layer(s) joule cannot convert: 'a' (type Python); 'c' (type ROIPooling)");
  });

  it('needs the weights of every layer that has them, and checks their shapes the way Caffe does', () => {
    const fc = (name: string, bottom: string) => layer(name, 'InnerProduct', bottom, name, { inner_product_param: { num_output: 3 } });
    const text = net({ data: [1, 2] }, [fc('fc1', 'data'), fc('fc2', 'fc1')]);
    let e = catchJouleError(() => decodeCaffe(text));
    expect(e.code).toBe('MODEL_INVALID');
    expect(e.message).toContain("2 layer(s) need trained weights and no weights were given: 'fc1' (InnerProduct), 'fc2' (InnerProduct)");
    expect(decodeCaffe(text, { missingWeights: 'zeros' }).graph.initializers.get('fc2_w')!.shape).toEqual([3, 3]);

    const good = [Tensor.zeros('float32', [3, 2]), Tensor.zeros('float32', [3])];
    const legacy = encodeCaffemodel([{ name: 'fc1', type: 'InnerProduct', blobs: good }, { name: 'fc2', type: 'InnerProduct', blobs: [Tensor.zeros('float32', [3, 3]), Tensor.zeros('float32', [3])] }], { legacyBlobs: true });
    expect(decodeCaffe(text, { weights: legacy }).graph.initializers.get('fc1_w')!.shape).toEqual([3, 2]);
    e = catchJouleError(() => decodeCaffe(text, { weights: encodeCaffemodel([{ name: 'fc1', type: 'InnerProduct', blobs: good }]), weightsFile: 'm.caffemodel' }));
    expect(e.message).toContain("m.caffemodel has none for them: 'fc2' (InnerProduct)");
    const wrong = encodeCaffemodel([{ name: 'fc1', type: 'InnerProduct', blobs: [Tensor.zeros('float32', [2, 3]), good[1]] }, { name: 'fc2', type: 'InnerProduct', blobs: good }]);
    e = catchJouleError(() => decodeCaffe(text, { weights: wrong, weightsFile: 'm.caffemodel' }));
    expect(e.message).toContain("layer 'fc1' (InnerProduct): blob 0 of layer 'fc1' in m.caffemodel has shape [2, 3]; the layer needs [3, 2]");
    e = catchJouleError(() => decodeCaffe(text, { weights: encodeCaffemodel([{ name: 'fc1', type: 'InnerProduct', blobs: [good[0]] }, { name: 'fc2', type: 'InnerProduct', blobs: good }]) }));
    expect(e.message).toContain('has 1 blob(s) of weights in weights; it needs 2');
  });

  it('declares inputs by input + input_shape, refuses blobs nobody produced, and refuses the V0 format', () => {
    const text = toPrototxt({ input: ['a', 'b'], input_shape: [{ dim: [4, 3] }, { dim: [4, 3] }], layer: [layer('sum', 'Eltwise', ['a', 'b'], 'sum')] });
    expect(load(text).graph.inputs.map((v) => [v.name, v.shape])).toEqual([
      ['a', ['N', 3]],
      ['b', ['N', 3]],
    ]);
    expect(catchJouleError(() => load(net({ data: [1, 2] }, [layer('r', 'ReLU', 'nothing', 'r')]))).message).toContain("layer 'r' reads blob 'nothing'");
    expect(catchJouleError(() => load('layers { layer { name: "conv1" type: "conv" } }')).message).toContain("V0 format");
    expect(catchJouleError(() => load('input: "data"')).message).toContain('1 inputs need 4 input_dim values');
  });

  it('reads the V1 format (layers with LayerType enums) for the definition and the weights alike', () => {
    const v1 = `
      name: "v1"
      input: "data"
      input_dim: 1 input_dim: 1 input_dim: 3 input_dim: 3
      layers { name: "data" type: DATA top: "data" top: "label" include { phase: TRAIN } }
      layers { name: "conv" type: CONVOLUTION bottom: "data" top: "conv" blobs_lr: 1 blobs_lr: 2
               convolution_param { num_output: 1 kernel_size: 2 } }
      layers { name: "relu" type: RELU bottom: "conv" top: "conv" }
      layers { name: "pool" type: POOLING bottom: "conv" top: "pool" pooling_param { pool: AVE kernel_size: 2 stride: 2 } }
      layers { name: "fc" type: INNER_PRODUCT bottom: "pool" top: "fc" inner_product_param { num_output: 2 } }
      layers { name: "prob" type: SOFTMAX bottom: "fc" top: "prob" }`;
    const weights = encodeCaffemodel(
      [
        { name: 'conv', type: 'Convolution', blobs: [t([1, 0, 0, -1], [1, 1, 2, 2]), t([0.5], [1])] },
        { name: 'fc', type: 'InnerProduct', blobs: [t([1, 0], [2, 1]), t([0, 1], [2])] },
      ],
      { v1: true, legacyBlobs: true },
    );
    const x = t([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
    const current = toPrototxt({
      input: 'data',
      input_shape: { dim: [1, 1, 3, 3] },
      layer: [
        layer('conv', 'Convolution', 'data', 'conv', { convolution_param: { num_output: 1, kernel_size: 2 } }),
        layer('relu', 'ReLU', 'conv', 'conv'),
        layer('pool', 'Pooling', 'conv', 'pool', { pooling_param: { pool: new Ident('AVE'), kernel_size: 2, stride: 2 } }),
        layer('fc', 'InnerProduct', 'pool', 'fc', { inner_product_param: { num_output: 2 } }),
        layer('prob', 'Softmax', 'fc', 'prob'),
      ],
    });
    const a = forward(v1, { data: x }, { weights });
    const b = forward(current, { data: x }, { weights: encodeCaffemodel([{ name: 'conv', type: 'Convolution', blobs: [t([1, 0, 0, -1], [1, 1, 2, 2]), t([0.5], [1])] }, { name: 'fc', type: 'InnerProduct', blobs: [t([1, 0], [2, 1]), t([0, 1], [2])] }]) });
    expect(values(a.prob)).toEqual(values(b.prob));
    // conv: x - x(+1,+1) + 0.5 = -3.5 everywhere, ReLU 0, pool (ceil: 1 window of 2x2) 0, fc [0, 1].
    expect(a.prob.data[1]).toBeCloseTo(Math.E / (1 + Math.E), 6);
  });
});
