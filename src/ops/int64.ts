import type { DType } from '../core/dtype.js';
import { Tensor } from '../core/tensor.js';

/**
 * int64 values converted exactly to a tensor of another dtype, as a C conversion would: narrower integers
 * keep the low bits (wrap around), bool is "nonzero", floats round to nearest.
 */
export function fromInt64(values: BigInt64Array, to: DType, shape: readonly number[]): Tensor {
  switch (to) {
    case 'int64':
      return new Tensor('int64', values, shape);
    case 'int32':
      return Tensor.from(to, Array.from(values, (v) => Number(BigInt.asIntN(32, v))), shape);
    case 'uint8':
      return Tensor.from(to, Array.from(values, (v) => Number(BigInt.asUintN(8, v))), shape);
    case 'bool':
      return Tensor.from(to, Array.from(values, (v) => Number(v !== 0n)), shape);
    case 'float32':
    case 'float16':
      return Tensor.from(to, Array.from(values, Number), shape);
  }
}
