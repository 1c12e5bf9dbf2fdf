import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import type { Dim } from '../../src/core/shape.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { Graph } from '../../src/ir/graph.js';
import { inferGraph } from '../../src/ir/infer.js';
import { runGraph } from '../../src/backends/reference/interpreter.js';

/** A branch that applies `op` to the outer value x and outputs it. */
function branch(name: string, op: string, extra: Tensor | undefined, shape: Dim[] | undefined): Graph {
  const b = new GraphBuilder(name);
  const inputs = ['x'];
  if (extra !== undefined) inputs.push(b.initializer(`${name}_c`, extra));
  const y = b.op(op, inputs, {}, `${name}_op`);
  b.output(y, 'float32', shape);
  return b.build();
}

function ifGraph(cond: Tensor | undefined, xShape: Dim[], thenBranch: Graph, elseBranch: Graph): Graph {
  const g = new GraphBuilder();
  g.input('x', 'float32', xShape);
  const c = cond === undefined ? g.input('cond', 'bool', []) : g.initializer('cond', cond);
  const y = g.op('If', [c], { then_branch: thenBranch, else_branch: elseBranch }, 'choose');
  g.output(y, 'float32', undefined);
  return g.build();
}

describe('If', () => {
  const flat = branch('else', 'Flatten', undefined, undefined);

  it('runs the branch cond picks, reading outer values', () => {
    const x = Tensor.from('float32', [1, 2, 3, 4], [2, 2]);
    const double = branch('then', 'Mul', Tensor.scalar('float32', 2), undefined);
    const half = branch('else', 'Div', Tensor.scalar('float32', 2), undefined);
    const g = ifGraph(undefined, [2, 2], double, half);
    const run = (c: number) => runGraph(g, new Map<string, Tensor>([['x', x], ['cond', Tensor.scalar('bool', c)]]))[0].toNumbers();
    expect(run(1)).toEqual([2, 4, 6, 8]);
    expect(run(0)).toEqual([0.5, 1, 1.5, 2]);
  });

  it('infers the chosen branch when cond is constant', () => {
    const g = ifGraph(Tensor.scalar('bool', 0), ['N', 3, 4, 4], branch('then', 'Identity', undefined, undefined), flat);
    expect(inferGraph(g).outputs[0].shape).toEqual(['N', 48]);
  });

  it('merges differing dims into ? when cond is unknown', () => {
    const g1 = ifGraph(undefined, ['N', 3, 4, 4], branch('then', 'Flatten', undefined, undefined), flat);
    expect(inferGraph(g1).outputs[0].shape).toEqual(['N', 48]);
    const whole = branch('then', 'Identity', undefined, undefined);
    const g2 = ifGraph(undefined, ['N', 3, 4, 4], whole, flat);
    expect(inferGraph(g2).outputs[0].shape).toBeUndefined(); // ranks 4 and 2 differ
    const g3 = ifGraph(undefined, ['N', 3, 3, 4], branch('then', 'Transpose', undefined, undefined), whole);
    expect(inferGraph(g3).outputs[0].shape).toEqual(['?', 3, 3, '?']);
  });

  it('fails when the branches disagree on dtype', () => {
    const b = new GraphBuilder('else');
    const y = b.op('Shape', ['x']);
    b.output(y, 'int64', undefined);
    const g = ifGraph(undefined, [2], branch('then', 'Identity', undefined, undefined), b.build());
    expect(() => inferGraph(g)).toThrow(/If node 'choose': then_branch gives float32\[2\] but else_branch gives int64\[1\]/);
  });
});
