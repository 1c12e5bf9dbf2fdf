import { describe, expect, it } from 'vitest';
import { JouleError } from '../../src/core/errors.js';
import type { Tensor } from '../../src/core/tensor.js';
import type { Graph, Model, Node } from '../../src/ir/graph.js';
import { verify } from '../../src/ir/verify.js';
import { defaultSeed, preprocessingOf, zoo, zooEntry } from '../../src/zoo/index.js';

const parameterCount = (graph: Graph): number => [...graph.initializers.values()].reduce((n, t) => n + t.size, 0);
const node = (graph: Graph, name: string): Node => {
  const n = graph.nodes.find((x) => x.name === name);
  if (n === undefined) throw new Error(`no node ${name}`);
  return n;
};
/** The raw bytes of a tensor, for exact comparison (deep equality on millions of elements is slow). */
const bytes = (t: Tensor): Buffer => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
const attr = (n: Node, key: string): unknown => n.attrs[key]?.value;

// Built once: the full-size networks take a fraction of a second each.
const models: Record<string, Model> = {
  caffenet: zoo.caffenet.build(),
  alexnet: zoo.alexnet.build(),
  googlenet: zoo.googlenet.build(),
};

describe('zoo registry', () => {
  it('lists caffenet, alexnet and googlenet', () => {
    expect(Object.keys(zoo)).toEqual(['caffenet', 'alexnet', 'googlenet']);
    for (const [key, entry] of Object.entries(zoo)) {
      expect(entry.name).toBe(key);
      expect(entry.labels).toHaveLength(1000);
      expect(zooEntry(key)).toBe(entry);
    }
  });

  it('rejects an unknown name, listing the known ones', () => {
    expect(() => zooEntry('resnet50')).toThrow(JouleError);
    expect(() => zooEntry('resnet50')).toThrow(/caffenet, alexnet, googlenet/);
    expect(() => zooEntry('toString')).toThrow(/unknown zoo model/);
    try {
      zooEntry('vgg16');
    } catch (e) {
      expect((e as JouleError).code).toBe('BAD_ARGUMENT');
    }
  });

  it('describes Caffe preprocessing: BGR, mean subtraction, scale 1, NCHW', () => {
    expect(zoo.caffenet.preprocessing).toEqual({
      inputName: 'data',
      size: 227,
      resize: 256,
      channelOrder: 'BGR',
      mean: [104.0069879317889, 116.66876761696767, 122.6789143406786],
      scale: 1,
      layout: 'NCHW',
    });
    expect(zoo.alexnet.preprocessing).toEqual(zoo.caffenet.preprocessing);
    expect(zoo.googlenet.preprocessing).toMatchObject({ inputName: 'data', size: 224, channelOrder: 'BGR', mean: [104, 117, 123], scale: 1 });
  });

  it('records the preprocessing in the model metadata, with the size built for', () => {
    expect(preprocessingOf(models.googlenet)).toEqual(zoo.googlenet.preprocessing);
    expect(preprocessingOf(zoo.caffenet.build({ inputSize: 67 }))).toEqual({ ...zoo.caffenet.preprocessing, size: 67 });
    expect(models.caffenet.metadata['joule.zoo']).toBe('caffenet');
    expect(models.caffenet.metadata['joule.weights']).toBe(`synthetic, seed ${defaultSeed}`);
    expect(preprocessingOf({ metadata: {} })).toBeUndefined();
  });

  it('rejects bad options and inputs too small for the network', () => {
    expect(() => zoo.caffenet.build({ inputSize: 0 })).toThrow(/positive integer/);
    expect(() => zoo.caffenet.build({ seed: 1.5 })).toThrow(/seed/);
    expect(() => zoo.caffenet.build({ inputSize: 10 })).toThrow(/too small/);
  });
});

describe('parameters', () => {
  it.each([
    ['caffenet', 60_965_224],
    ['alexnet', 60_965_224],
    ['googlenet', 6_998_552],
  ])('%s has exactly %i parameters, all in float32 initializers', (name, count) => {
    const { graph, metadata } = models[name];
    expect(parameterCount(graph)).toBe(count);
    expect(metadata['joule.parameters']).toBe(String(count));
    for (const t of graph.initializers.values()) expect(t.dtype).toBe('float32');
  });

  it('keeps Caffe blob layouts: conv [out, in/group, k, k], fc [out, in]', () => {
    const shapes = (name: string) => Object.fromEntries([...models[name].graph.initializers].map(([k, t]) => [k, t.shape]));
    expect(shapes('caffenet')).toMatchObject({
      conv1_w: [96, 3, 11, 11],
      conv2_w: [256, 48, 5, 5],
      conv3_w: [384, 256, 3, 3],
      conv4_w: [384, 192, 3, 3],
      conv5_w: [256, 192, 3, 3],
      fc6_w: [4096, 9216],
      fc7_w: [4096, 4096],
      fc8_w: [1000, 4096],
      fc8_b: [1000],
    });
    expect(shapes('googlenet')).toMatchObject({
      'conv1/7x7_s2_w': [64, 3, 7, 7],
      'inception_3a/1x1_w': [64, 192, 1, 1],
      'inception_5b/pool_proj_w': [128, 832, 1, 1],
      'loss3/classifier_w': [1000, 1024],
    });
    expect(models.caffenet.graph.initializers.size).toBe(16);
    expect(models.googlenet.graph.initializers.size).toBe(2 * (3 + 9 * 6 + 1));
  });

  it('sizes fc6 from the input size', () => {
    expect(zoo.caffenet.build({ inputSize: 67 }).graph.initializers.get('fc6_w')?.shape).toEqual([4096, 256]);
    expect(zoo.alexnet.build({ inputSize: 99 }).graph.initializers.get('fc6_w')?.shape).toEqual([4096, 1024]);
  });
});

describe('graph structure', () => {
  it.each(Object.keys(models))('%s is a well-formed opset 17 graph: data -> prob', (name) => {
    const { graph } = models[name];
    verify(graph);
    expect(graph.opsets.get('')).toBe(17);
    expect(graph.inputs).toEqual([{ name: 'data', dtype: 'float32', shape: ['N', 3, zoo[name].preprocessing.size, zoo[name].preprocessing.size] }]);
    expect(graph.outputs).toEqual([{ name: 'prob', dtype: 'float32', shape: ['N', 1000] }]);
    for (const n of graph.nodes) expect(n.domain).toBe('');
    const prob = node(graph, 'prob');
    expect(prob.op).toBe('Softmax');
    expect(attr(prob, 'axis')).toBe(1);
  });

  it('follows the CaffeNet layer order, and AlexNet with LRN before pooling', () => {
    const layers = (name: string) => models[name].graph.nodes.map((n) => n.name);
    const tail = ['conv3', 'relu3', 'conv4', 'relu4', 'conv5', 'relu5', 'pool5', 'fc6_flatten', 'fc6', 'relu6', 'drop6', 'fc7', 'relu7', 'drop7', 'fc8', 'prob'];
    expect(layers('caffenet')).toEqual(['conv1', 'relu1', 'pool1', 'norm1', 'conv2', 'relu2', 'pool2', 'norm2', ...tail]);
    expect(layers('alexnet')).toEqual(['conv1', 'relu1', 'norm1', 'pool1', 'conv2', 'relu2', 'norm2', 'pool2', ...tail]);
    // Each layer's output value carries the layer's name.
    for (const n of models.caffenet.graph.nodes) expect(n.outputs).toEqual([n.name]);
  });

  it('uses Caffe semantics: ceil pooling, floor conv with groups, LRN(5, 1e-4, 0.75, k=1), Gemm transB', () => {
    const g = models.caffenet.graph;
    for (const name of ['pool1', 'pool2', 'pool5']) {
      const n = node(g, name);
      expect(n.op).toBe('MaxPool');
      expect(n.attrs).toMatchObject({ kernel_shape: { value: [3, 3] }, strides: { value: [2, 2] }, ceil_mode: { type: 'int', value: 1 } });
    }
    expect(node(g, 'conv1').attrs).toMatchObject({ kernel_shape: { value: [11, 11] }, strides: { value: [4, 4] }, pads: { value: [0, 0, 0, 0] } });
    expect(node(g, 'conv1').attrs.ceil_mode).toBeUndefined();
    expect(['conv1', 'conv2', 'conv3', 'conv4', 'conv5'].map((c) => attr(node(g, c), 'group'))).toEqual([1, 2, 1, 2, 2]);
    expect(attr(node(g, 'conv2'), 'pads')).toEqual([2, 2, 2, 2]);
    for (const name of ['norm1', 'norm2']) {
      expect(node(g, name)).toMatchObject({
        op: 'LRN',
        attrs: { size: { type: 'int', value: 5 }, alpha: { type: 'float', value: 1e-4 }, beta: { type: 'float', value: 0.75 }, bias: { type: 'float', value: 1 } },
      });
    }
    for (const fc of ['fc6', 'fc7', 'fc8']) {
      expect(node(g, fc)).toMatchObject({ op: 'Gemm', inputs: [expect.any(String), `${fc}_w`, `${fc}_b`], attrs: { transB: { type: 'int', value: 1 } } });
    }
    expect(node(g, 'fc6').inputs[0]).toBe('fc6_flatten');
    expect(node(g, 'fc6_flatten')).toMatchObject({ op: 'Flatten', inputs: ['pool5'], attrs: { axis: { value: 1 } } });
    expect(node(g, 'drop6')).toMatchObject({ op: 'Dropout', inputs: ['relu6'] });
  });

  it('builds GoogLeNet inception modules as four branches concatenated 1x1, 3x3, 5x5, pool-proj', () => {
    const g = models.googlenet.graph;
    const concats = g.nodes.filter((n) => n.op === 'Concat');
    expect(concats.map((n) => n.name)).toEqual(['3a', '3b', '4a', '4b', '4c', '4d', '4e', '5a', '5b'].map((m) => `inception_${m}/output`));
    for (const c of concats) {
      const m = c.name.slice(0, -'/output'.length);
      expect(c.inputs).toEqual([`${m}/relu_1x1`, `${m}/relu_3x3`, `${m}/relu_5x5`, `${m}/relu_pool_proj`]);
      expect(attr(c, 'axis')).toBe(1);
      expect(node(g, `${m}/pool`).attrs).toMatchObject({ kernel_shape: { value: [3, 3] }, strides: { value: [1, 1] }, pads: { value: [1, 1, 1, 1] }, ceil_mode: { value: 1 } });
      expect(attr(node(g, `${m}/5x5`), 'pads')).toEqual([2, 2, 2, 2]);
    }
    expect(g.nodes.filter((n) => n.name.includes('loss1') || n.name.includes('loss2'))).toEqual([]);
    expect(node(g, 'pool5/7x7_s1')).toMatchObject({ op: 'AveragePool', attrs: { kernel_shape: { value: [7, 7] }, strides: { value: [1, 1] } } });
    const drop = node(g, 'pool5/drop_7x7_s1');
    expect(drop.op).toBe('Dropout');
    const ratio = node(g, drop.inputs[1]);
    expect(ratio.op).toBe('Constant');
    expect((ratio.attrs.value.value as { data: Float32Array }).data[0]).toBeCloseTo(0.4, 6);
    expect(node(g, 'loss3/classifier')).toMatchObject({ op: 'Gemm', attrs: { transB: { value: 1 } } });
    expect(g.nodes.slice(-4).map((n) => n.name)).toEqual(['pool5/drop_7x7_s1', 'loss3/classifier_flatten', 'loss3/classifier', 'prob']);
  });

  it('sizes GoogLeNet final pooling to what is left of the image', () => {
    expect(attr(node(zoo.googlenet.build({ inputSize: 96 }).graph, 'pool5/7x7_s1'), 'kernel_shape')).toEqual([3, 3]);
    expect(attr(node(zoo.googlenet.build({ inputSize: 64 }).graph, 'pool5/7x7_s1'), 'kernel_shape')).toEqual([2, 2]);
  });
});

describe('synthetic weights', () => {
  it('are bit-identical for the same seed and differ for another', () => {
    const a = zoo.googlenet.build({ seed: 7 }).graph.initializers;
    const b = zoo.googlenet.build({ seed: 7 }).graph.initializers;
    const c = zoo.googlenet.build({ seed: 8 }).graph.initializers;
    for (const [name, t] of a) {
      expect(bytes(b.get(name)!).equals(bytes(t)), name).toBe(true);
      expect(bytes(c.get(name)!).equals(bytes(t)), name).toBe(false);
    }
  });

  it('do not change with the input size, except the layer whose fan-in it sets', () => {
    const small = zoo.caffenet.build({ inputSize: 67 }).graph.initializers;
    for (const [name, t] of models.caffenet.graph.initializers) {
      if (name === 'fc6_w') continue;
      expect(bytes(small.get(name)!).equals(bytes(t)), name).toBe(true);
    }
  });

  it('are He-scaled for ReLU layers, with small biases', () => {
    const g = models.caffenet.graph;
    const stats = (name: string) => {
      const d = g.initializers.get(name)!.data as Float32Array;
      let s = 0;
      let s2 = 0;
      for (const v of d) {
        s += v;
        s2 += v * v;
      }
      return { mean: s / d.length, std: Math.sqrt(s2 / d.length - (s / d.length) ** 2) };
    };
    for (const [name, fanIn] of [['conv1_w', 363], ['conv2_w', 1200], ['conv5_w', 1728], ['fc7_w', 4096]] as const) {
      const { mean, std } = stats(name);
      expect(std / Math.sqrt(2 / fanIn), name).toBeCloseTo(1, 1);
      expect(Math.abs(mean)).toBeLessThan(std / 10);
    }
    expect(stats('conv1_b').std).toBeLessThan(1);
    expect(stats('fc8_w').std).toBeLessThan(stats('fc7_w').std);
  });

  it('are stable across versions (a change here changes every published output)', () => {
    const head = (name: string) => Array.from((models.caffenet.graph.initializers.get(name)!.data as Float32Array).subarray(0, 3));
    expect(head('conv1_w')).toEqual(PINNED_CONV1);
    expect(head('fc8_b')).toEqual(PINNED_FC8_B);
  });
});

// The first values of two tensors for the default seed.
const PINNED_CONV1 = [-0.07902830094099045, 0.0334152989089489, -0.006775816902518272];
const PINNED_FC8_B = [-0.6420213580131531, -0.6092423796653748, -0.44715091586112976];
