import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { float } from '../../src/ir/builder.js';
import type { Node } from '../../src/ir/graph.js';
import { constantClipBounds } from '../../src/ops/clip.js';
import { runOp } from '../helpers/run-op.js';

const x = Tensor.from('float32', [-3, -1, 0, 2, 5], [5]);
const scalar = (v: number) => Tensor.scalar('float32', v);

describe('Clip', () => {
  it('clamps to optional scalar inputs from opset 11', () => {
    expect(runOp('Clip', [x, scalar(-1), scalar(2)])[0].toNumbers()).toEqual([-1, -1, 0, 2, 2]);
    expect(runOp('Clip', [x, undefined, scalar(1)])[0].toNumbers()).toEqual([-3, -1, 0, 1, 1]);
    expect(runOp('Clip', [x, scalar(0)])[0].toNumbers()).toEqual([0, 0, 0, 2, 5]);
    expect(runOp('Clip', [x])[0].toNumbers()).toEqual([-3, -1, 0, 2, 5]);
  });

  it('gives max everywhere when min > max', () => {
    expect(runOp('Clip', [x, scalar(3), scalar(1)])[0].toNumbers()).toEqual([1, 1, 1, 1, 1]);
  });

  it('reads min and max attributes before opset 11', () => {
    expect(runOp('Clip', [x], { min: float(0), max: float(1.5) }, { opset: 6 })[0].toNumbers()).toEqual([0, 0, 0, 1.5, 1.5]);
    expect(runOp('Clip', [x], { max: float(0) }, { opset: 6 })[0].toNumbers()).toEqual([-3, -1, 0, 0, 0]);
  });

  it('clamps integers exactly, int64 beyond 2^53 too', () => {
    const big = Tensor.from('int64', [0, 0], [2]);
    (big.data as BigInt64Array).set([2n ** 60n + 1n, -(2n ** 60n)]);
    const hi = Tensor.from('int64', [0], []);
    (hi.data as BigInt64Array)[0] = 2n ** 60n;
    const [y] = runOp('Clip', [big, undefined, hi]);
    expect(Array.from(y.data as BigInt64Array)).toEqual([2n ** 60n, -(2n ** 60n)]);
    const [u8] = runOp('Clip', [Tensor.from('uint8', [1, 200], [2]), Tensor.scalar('uint8', 10), Tensor.scalar('uint8', 100)]);
    expect(u8.toNumbers()).toEqual([10, 100]);
  });

  it('checks the bounds', () => {
    expect(() => runOp('Clip', [x, Tensor.from('float32', [0, 1], [2])])).toThrow(/Clip node 'clip': input 'min' must be a scalar, got shape \[2\]/);
    expect(() => runOp('Clip', [x, Tensor.scalar('float16', 0)])).toThrow(/input 'min' is float16\[\] but X is float32\[5\]/);
  });
});

describe('constantClipBounds (what backends fuse)', () => {
  const node = (inputs: string[], attrs: Node['attrs'] = {}): Node => ({ name: 'c', op: 'Clip', domain: '', inputs, outputs: ['y'], attrs });
  const constants = new Map([['lo', scalar(-1)], ['hi', scalar(2)]]);
  const constant = (name: string) => constants.get(name);
  it('reads constant inputs from opset 11, attributes before, and leaves a missing bound infinite', () => {
    expect(constantClipBounds(node(['x', 'lo', 'hi']), 13, constant)).toEqual([-1, 2]);
    expect(constantClipBounds(node(['x', '', 'hi']), 13, constant)).toEqual([-Infinity, 2]);
    expect(constantClipBounds(node(['x', 'lo']), 13, constant)).toEqual([-1, Infinity]);
    expect(constantClipBounds(node(['x'], { min: float(0) }), 6, constant)).toEqual([0, Infinity]);
  });
  it('is undefined when a bound is only known at run time', () => {
    expect(constantClipBounds(node(['x', 'fed', 'hi']), 13, constant)).toBeUndefined();
  });
});
