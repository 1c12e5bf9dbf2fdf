// A realistic `joule bench` report for the report tests: CaffeNet and GoogLeNet at batch 1 (latency)
// and batch 48 (throughput) on joule's cpu (fp32, fp16) and webgpu backends beside onnxruntime-node
// and onnxruntime-web, on a machine with an NVIDIA GPU (nvidia-smi measures the webgpu runs) and no
// CPU power meter.

import type { BenchPoint, BenchReport, PowerResult, RuntimeId } from '../../src/bench/schema.js';

export const jouleCpu: RuntimeId = { runtime: 'joule', backend: 'cpu', version: '0.1.0' };
export const jouleWebgpu: RuntimeId = { runtime: 'joule', backend: 'webgpu', version: '0.1.0' };
export const ortNode: RuntimeId = { runtime: 'onnxruntime-node', backend: 'cpu', version: '1.30.0' };
export const ortWasm: RuntimeId = { runtime: 'onnxruntime-web', backend: 'wasm', version: '1.30.0' };
export const ortWebgpu: RuntimeId = { runtime: 'onnxruntime-web', backend: 'webgpu', version: '1.30.0' };

/** GFLOP per image, 2 FLOP per multiply-add (whitepaper.md: 724 M and 1.58 G multiply-adds). */
const gflopPerImage: Record<string, number> = { caffenet: 1.448, googlenet: 3.16 };

export const noMeter: PowerResult = {
  source: 'not-measured',
  reason: 'no power meter: RAPL (/sys/class/powercap) is not readable and this runtime is not on the GPU',
};

function nvidiaSmi(watts: number, imagesPerSecond: number): PowerResult {
  return {
    source: 'measured',
    meter: 'nvidia-smi',
    scope: 'GPU 0: NVIDIA H100 80GB HBM3',
    averageWatts: watts,
    joulesPerImage: watts / imagesPerSecond,
    imagesPerSecondPerWatt: imagesPerSecond / watts,
    samples: 42,
  };
}

/** A measured point: throughput from the p50 batch latency, the usual spread of percentiles around it. */
function ok(model: string, runtime: RuntimeId, precision: 'fp32' | 'fp16', batch: number, p50: number, power: PowerResult = noMeter, extra: Partial<BenchPoint> = {}): BenchPoint {
  const imagesPerSecond = (batch * 1000) / (p50 * 1.02);
  return {
    model,
    runtime,
    precision,
    batch,
    scenario: batch === 1 ? 'latency' : 'throughput',
    status: 'ok',
    imagesPerSecond,
    latencyMs: { mean: p50 * 1.02, p50, p90: p50 * 1.06, p99: p50 * 1.19, min: p50 * 0.96, max: p50 * 1.41 },
    iterations: batch === 1 ? 200 : 20,
    durationS: (p50 * 1.02 * (batch === 1 ? 200 : 20)) / 1000,
    warmupIterations: batch === 1 ? 10 : 2,
    gflops: imagesPerSecond * gflopPerImage[model],
    power,
    ...extra,
  };
}

const declared125: PowerResult = {
  source: 'declared',
  meter: 'declared',
  scope: '--power-watts 125 (the CPU package, as the user states it)',
  averageWatts: 125,
  joulesPerImage: 125 / ((48 * 1000) / (760 * 1.02)),
  imagesPerSecondPerWatt: (48 * 1000) / (760 * 1.02) / 125,
};

const fp16Warning = 'fp16 on cpu: weights are stored as float16 and widened to f32 for the arithmetic';

export const fixtureReport: BenchReport = {
  schemaVersion: 1,
  tool: 'joule bench',
  startedAt: '2025-11-27T14:52:08.311Z',
  command: 'joule bench zoo:caffenet zoo:googlenet --backends cpu,webgpu --peers onnxruntime-node,onnxruntime-web --precision fp32,fp16 --batch 1,48 --html report.html',
  machine: {
    cpuModel: 'AMD EPYC 9454 48-Core Processor',
    cores: 16,
    memoryGiB: 125.7,
    os: 'Linux 6.1.0-28-cloud-amd64 x64 (Debian GNU/Linux 12)',
    node: 'v20.20.2',
    v8: '11.3.244.8-node.33',
    gpu: 'NVIDIA H100 80GB HBM3 (Vulkan, driver 550.127.05)',
    versions: { joule: '0.1.0', 'onnxruntime-node': '1.30.0', 'onnxruntime-web': '1.30.0', webgpu: '0.6.2' },
  },
  points: [
    ok('caffenet', jouleCpu, 'fp32', 1, 41.8),
    ok('caffenet', jouleCpu, 'fp32', 48, 760, declared125),
    ok('caffenet', jouleCpu, 'fp16', 1, 47.5, noMeter, { warnings: [fp16Warning] }),
    ok('caffenet', jouleCpu, 'fp16', 48, 812),
    ok('caffenet', jouleWebgpu, 'fp32', 1, 1.12, nvidiaSmi(96.4, 1000 / (1.12 * 1.02))),
    ok('caffenet', jouleWebgpu, 'fp32', 48, 11.6, nvidiaSmi(388.2, 48000 / (11.6 * 1.02))),
    ok('caffenet', ortNode, 'fp32', 1, 19.7),
    ok('caffenet', ortNode, 'fp32', 48, 402),
    ok('caffenet', ortWasm, 'fp32', 1, 88.3),
    ok('caffenet', ortWasm, 'fp32', 48, 1590),
    {
      model: 'caffenet',
      runtime: ortWebgpu,
      precision: 'fp32',
      batch: 1,
      scenario: 'latency',
      status: 'skipped',
      error: "onnxruntime-web's WebGPU execution provider needs navigator.gpu, which Node does not have",
    },
    ok('googlenet', jouleCpu, 'fp32', 1, 63.9),
    ok('googlenet', jouleCpu, 'fp32', 48, 1710),
    ok('googlenet', jouleCpu, 'fp16', 1, 70.2, noMeter, { warnings: [fp16Warning] }),
    ok('googlenet', jouleCpu, 'fp16', 48, 1795),
    ok('googlenet', jouleWebgpu, 'fp32', 1, 3.35, nvidiaSmi(118.9, 1000 / (3.35 * 1.02))),
    {
      model: 'googlenet',
      runtime: jouleWebgpu,
      precision: 'fp32',
      batch: 48,
      scenario: 'throughput',
      status: 'failed',
      error: 'BACKEND_UNAVAILABLE: the GPU device was lost (reason: unknown) during warm-up',
    },
    ok('googlenet', ortNode, 'fp32', 1, 27.4),
    ok('googlenet', ortNode, 'fp32', 48, 702),
    ok('googlenet', ortWasm, 'fp32', 1, 121),
    ok('googlenet', ortWasm, 'fp32', 48, 3020),
  ],
  accuracy: [
    { model: 'caffenet', runtime: jouleCpu, inputs: 64, top1Agreement: 1, top5Agreement: 0.996875, maxAbsDiff: 3.1e-4, meanAbsDiff: 2.2e-6 },
    { model: 'googlenet', runtime: jouleCpu, inputs: 64, top1Agreement: 0.984375, top5Agreement: 0.99375, maxAbsDiff: 8.7e-4, meanAbsDiff: 4.9e-6 },
  ],
  reference: [
    { device: 'GeForce GTX Titan X', model: 'AlexNet', precision: 'fp32', batch: 1, imagesPerSecond: 405, watts: 164, imagesPerSecondPerWatt: 2.5 },
    { device: 'GeForce GTX Titan X', model: 'AlexNet', precision: 'fp32', batch: 128, imagesPerSecond: 3216, watts: 227, imagesPerSecondPerWatt: 14.2, approximate: true },
    { device: 'Xeon E5-2698 v3', model: 'CaffeNet', precision: 'fp32', batch: 1, imagesPerSecond: 76, watts: 112, imagesPerSecondPerWatt: 0.7 },
    { device: 'Xeon E5-2698 v3', model: 'CaffeNet', precision: 'fp32', batch: 48, imagesPerSecond: 476, watts: 149, imagesPerSecondPerWatt: 3.2 },
    { device: 'Core i7 6700K', model: 'CaffeNet', precision: 'fp32', batch: 48, imagesPerSecond: 242, imagesPerSecondPerWatt: 3.9 },
    { device: 'Tegra X1', model: 'AlexNet', precision: 'fp16', batch: 128, imagesPerSecond: 258, imagesPerSecondPerWatt: 45 },
    { device: 'GeForce GTX Titan X', model: 'GoogLeNet', precision: 'fp32', batch: 128, imagesPerSecond: 863, watts: 229, imagesPerSecondPerWatt: 3.8 },
    { device: 'Tegra X1', model: 'GoogLeNet', precision: 'fp16', batch: 1, imagesPerSecond: 33 },
  ],
  interrupted: false,
};

/** The same run on a machine with no meter at all: every point's power is not measured. */
export const unmeteredReport: BenchReport = {
  ...fixtureReport,
  machine: { ...fixtureReport.machine, gpu: undefined },
  points: fixtureReport.points
    .filter((p) => p.runtime.backend !== 'webgpu')
    .map((p) => (p.status === 'ok' ? { ...p, power: noMeter } : p)),
  interrupted: true,
};
