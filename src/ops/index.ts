import type { OpDef } from './op.js';
import { relu } from './relu.js';

/** Every operator joule knows, by ONNX op type (default domain). An explicit table: no discovery by file name. */
export const ops: Readonly<Record<string, OpDef>> = {
  Relu: relu,
};

export function opDef(type: string): OpDef | undefined {
  return Object.prototype.hasOwnProperty.call(ops, type) ? ops[type] : undefined;
}
