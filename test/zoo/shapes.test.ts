import { describe, expect, it } from 'vitest';
import type { Dim } from '../../src/core/shape.js';
import type { Model } from '../../src/ir/graph.js';
import { inferGraph } from '../../src/ir/infer.js';
import { zoo } from '../../src/zoo/index.js';

/** Per-layer output shapes, from the ops' own shape inference, with the batch dimension symbolic. */
function layerShapes(model: Model): (layer: string) => readonly Dim[] | undefined {
  const { types, outputs } = inferGraph(model.graph);
  expect(outputs).toEqual([{ dtype: 'float32', shape: ['N', 1000] }]);
  return (layer) => types.get(layer)?.shape;
}

const expectShapes = (shapeOf: (layer: string) => readonly Dim[] | undefined, expected: Record<string, readonly number[]>): void => {
  const got = Object.fromEntries(Object.keys(expected).map((layer) => [layer, shapeOf(layer)]));
  expect(got).toEqual(Object.fromEntries(Object.entries(expected).map(([layer, dims]) => [layer, ['N', ...dims]])));
};

describe('layer shapes', () => {
  it('CaffeNet: Caffe rounding, 227 -> 55 -> 27 -> 13 -> 6', () => {
    expectShapes(layerShapes(zoo.caffenet.build()), {
      data: [3, 227, 227],
      conv1: [96, 55, 55],
      pool1: [96, 27, 27],
      norm1: [96, 27, 27],
      conv2: [256, 27, 27],
      pool2: [256, 13, 13],
      norm2: [256, 13, 13],
      conv3: [384, 13, 13],
      conv4: [384, 13, 13],
      conv5: [256, 13, 13],
      pool5: [256, 6, 6],
      fc6_flatten: [9216],
      fc6: [4096],
      drop6: [4096],
      fc7: [4096],
      fc8: [1000],
      prob: [1000],
    });
  });

  it('AlexNet: LRN before pooling, same sizes', () => {
    expectShapes(layerShapes(zoo.alexnet.build()), {
      norm1: [96, 55, 55],
      pool1: [96, 27, 27],
      norm2: [256, 27, 27],
      pool2: [256, 13, 13],
      pool5: [256, 6, 6],
      fc6: [4096],
    });
  });

  it('CaffeNet at a reduced input size', () => {
    expectShapes(layerShapes(zoo.caffenet.build({ inputSize: 67 })), { conv1: [96, 15, 15], pool1: [96, 7, 7], pool2: [256, 3, 3], pool5: [256, 1, 1], fc6_flatten: [256] });
    expectShapes(layerShapes(zoo.caffenet.build({ inputSize: 99 })), { conv1: [96, 23, 23], pool1: [96, 11, 11], pool2: [256, 5, 5], pool5: [256, 2, 2], fc6_flatten: [1024] });
  });

  it('GoogLeNet: 224 -> 112 -> 56 -> 28 -> 14 -> 7 -> 1', () => {
    expectShapes(layerShapes(zoo.googlenet.build()), {
      'conv1/7x7_s2': [64, 112, 112],
      'pool1/3x3_s2': [64, 56, 56],
      'pool1/norm1': [64, 56, 56],
      'conv2/3x3_reduce': [64, 56, 56],
      'conv2/3x3': [192, 56, 56],
      'conv2/norm2': [192, 56, 56],
      'pool2/3x3_s2': [192, 28, 28],
      'inception_3a/1x1': [64, 28, 28],
      'inception_3a/3x3': [128, 28, 28],
      'inception_3a/5x5': [32, 28, 28],
      'inception_3a/pool': [192, 28, 28],
      'inception_3a/pool_proj': [32, 28, 28],
      'inception_3a/output': [256, 28, 28],
      'inception_3b/output': [480, 28, 28],
      'pool3/3x3_s2': [480, 14, 14],
      'inception_4a/output': [512, 14, 14],
      'inception_4b/output': [512, 14, 14],
      'inception_4c/output': [512, 14, 14],
      'inception_4d/output': [528, 14, 14],
      'inception_4e/output': [832, 14, 14],
      'pool4/3x3_s2': [832, 7, 7],
      'inception_5a/output': [832, 7, 7],
      'inception_5b/output': [1024, 7, 7],
      'pool5/7x7_s1': [1024, 1, 1],
      'pool5/drop_7x7_s1': [1024, 1, 1],
      'loss3/classifier_flatten': [1024],
      'loss3/classifier': [1000],
      prob: [1000],
    });
  });

  it('GoogLeNet at reduced input sizes ends in a global average pool', () => {
    expectShapes(layerShapes(zoo.googlenet.build({ inputSize: 96 })), { 'pool2/3x3_s2': [192, 12, 12], 'inception_5b/output': [1024, 3, 3], 'pool5/7x7_s1': [1024, 1, 1] });
    expectShapes(layerShapes(zoo.googlenet.build({ inputSize: 64 })), { 'pool4/3x3_s2': [832, 2, 2], 'pool5/7x7_s1': [1024, 1, 1] });
  });
});
