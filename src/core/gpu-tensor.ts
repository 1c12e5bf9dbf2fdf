import { fail } from './errors.js';
import { formatShape, shapeSize } from './shape.js';
import { Tensor } from './tensor.js';

/**
 * A float32 tensor whose values live in a GPUBuffer: row-major, from byte 0 of the buffer. A webgpu
 * session reads such an input on the GPU (no trip through host memory) and can leave its outputs on the
 * GPU as such tensors (`run(feeds, { outputLocation: 'gpu' })`). The buffer must belong to the session's
 * device (`session.gpuDevice()`), and an input's must allow COPY_SRC.
 */
export class GpuTensor {
  readonly dtype = 'float32';
  readonly shape: readonly number[];

  constructor(
    readonly device: GPUDevice,
    readonly buffer: GPUBuffer,
    shape: readonly number[],
  ) {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) fail('BAD_ARGUMENT', `tensor shape ${formatShape(shape)} has a dimension that is not a non-negative integer`);
    }
    this.shape = Object.freeze([...shape]);
    if (buffer.size < this.byteLength) {
      fail('BAD_ARGUMENT', `a float32 tensor of shape ${formatShape(shape)} needs ${this.byteLength} bytes; the GPUBuffer has ${buffer.size}`);
    }
  }

  get size(): number {
    return shapeSize(this.shape);
  }

  get byteLength(): number {
    return this.size * 4;
  }

  /** A new buffer on `device` (STORAGE, COPY_SRC, COPY_DST) holding a host tensor's values. */
  static upload(device: GPUDevice, tensor: Tensor): GpuTensor {
    if (tensor.dtype !== 'float32') fail('BAD_ARGUMENT', `a GpuTensor holds float32 values; got a ${tensor.dtype} tensor`);
    const data = tensor.data as Float32Array;
    const buffer = device.createBuffer({
      size: Math.ceil(Math.max(4, data.byteLength) / 16) * 16,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      mappedAtCreation: true,
    });
    new Float32Array(buffer.getMappedRange(), 0, data.length).set(data);
    buffer.unmap();
    return new GpuTensor(device, buffer, tensor.shape);
  }

  /** Copies the values to the host, once the GPU work queued before has written them. */
  async download(): Promise<Tensor<'float32'>> {
    if (this.size === 0) return new Tensor('float32', new Float32Array(0), this.shape);
    const bytes = this.byteLength;
    const read = this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    try {
      // A destroyed buffer would leave `read` as it was: the copy is checked.
      this.device.pushErrorScope('validation');
      const encoder = this.device.createCommandEncoder();
      encoder.copyBufferToBuffer(this.buffer, 0, read, 0, bytes);
      this.device.queue.submit([encoder.finish()]);
      const error = await this.device.popErrorScope();
      if (error !== null) fail('BAD_ARGUMENT', `this GpuTensor cannot be read (its buffer destroyed?): ${error.message}`);
      await read.mapAsync(GPUMapMode.READ);
      const data = new Float32Array(read.getMappedRange(), 0, this.size).slice();
      read.unmap();
      return new Tensor('float32', data, this.shape);
    } finally {
      read.destroy();
    }
  }

  /** Frees the buffer. The tensors a run returns are the caller's to free. */
  destroy(): void {
    this.buffer.destroy();
  }
}

/** What a run takes for an input: a host tensor, or (on the webgpu backend) one on the GPU. */
export type Feed = Tensor | GpuTensor;
