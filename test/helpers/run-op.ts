import type { Tensor } from '../../src/core/tensor.js';
import { type AttrInput, GraphBuilder } from '../../src/ir/builder.js';
import { runNode } from '../../src/backends/reference/interpreter.js';

/**
 * Runs one op on the reference backend: shape inference on the concrete inputs, then the kernel.
 * `inputs` may hold undefined for omitted optional inputs.
 */
export function runOp(
  op: string,
  inputs: readonly (Tensor | undefined)[],
  attrs: Readonly<Record<string, AttrInput>> = {},
  options: { opset?: number; outputs?: number } = {},
): Tensor[] {
  const b = new GraphBuilder('test', options.opset ?? 17);
  const names = inputs.map((t, i) => (t === undefined ? '' : `in${i}`));
  const [node] = (b.node(op, names, attrs, { outputs: options.outputs ?? 1 }), b.build().nodes);
  const scope = new Map<string, Tensor>();
  inputs.forEach((t, i) => {
    if (t !== undefined) scope.set(`in${i}`, t);
  });
  return runNode(node, options.opset ?? 17, inputs, scope);
}
