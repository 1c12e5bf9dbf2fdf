// The result of `joule bench`: what the JSON report holds, and what the Markdown and HTML reports
// render. Versioned: a change that removes or renames a field bumps `schemaVersion`.

export const benchSchemaVersion = 1;

export type Scenario = 'latency' | 'throughput' | 'server';

/** Who ran a point: a joule backend, or a peer runtime measured in the same run. */
export interface RuntimeId {
  /** 'joule' or a peer ('onnxruntime-node', 'onnxruntime-web'). */
  readonly runtime: string;
  /** The backend or execution provider ('cpu', 'webgpu', 'reference', 'wasm', ...). */
  readonly backend: string;
  /** Version of the runtime's package. */
  readonly version: string;
}

/** Latency statistics in milliseconds over the measured iterations (warm-up excluded). */
export interface LatencyStats {
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly min: number;
  readonly max: number;
}

/**
 * Power over one measured window. `source` says where the number came from: 'measured' by a meter
 * (named in `meter`), 'declared' by the user (--power-watts), or 'not-measured' (all fields but
 * `source` and `reason` absent): never an estimate dressed as a measurement.
 */
export interface PowerResult {
  readonly source: 'measured' | 'declared' | 'not-measured';
  /** 'nvidia-smi', 'rapl', 'declared'. */
  readonly meter?: string;
  /** What the meter covers ('GPU 0: NVIDIA H100 80GB HBM3', 'package-0 + dram', ...). */
  readonly scope?: string;
  readonly averageWatts?: number;
  readonly joulesPerImage?: number;
  readonly imagesPerSecondPerWatt?: number;
  readonly samples?: number;
  /** Why there is no measurement (no meter found, meter failed, ...). */
  readonly reason?: string;
}

/** One point of the matrix: a model on a runtime at a precision, batch and scenario. */
export interface BenchPoint {
  readonly model: string;
  readonly runtime: RuntimeId;
  readonly precision: 'fp32' | 'fp16';
  readonly batch: number;
  readonly scenario: Scenario;
  /** 'ok', or 'skipped'/'failed' with `error` saying why (a peer not installed, no GPU adapter, ...). */
  readonly status: 'ok' | 'skipped' | 'failed';
  readonly error?: string;
  readonly imagesPerSecond?: number;
  /** Per-batch latency (one run of `batch` images). */
  readonly latencyMs?: LatencyStats;
  readonly iterations?: number;
  /** Seconds of the measured window (warm-up excluded). */
  readonly durationS?: number;
  readonly warmupIterations?: number;
  /** GFLOP/s, counting 2 FLOP per multiply-add of the model. */
  readonly gflops?: number;
  readonly power?: PowerResult;
  /** Server scenario only: the offered loads tried and the highest sustained with p99 under the bound. */
  readonly server?: ServerResult;
  /** What the runtime said it could not do as asked (joule's session.warnings()). */
  readonly warnings?: readonly string[];
  /** True when Ctrl-C stopped this point before its measuring limits were met. */
  readonly interrupted?: boolean;
}

export interface ServerLoadPoint {
  /** Offered requests per second (Poisson arrivals). */
  readonly offeredRate: number;
  /** Completed requests per second. */
  readonly achievedRate: number;
  readonly latencyMs: LatencyStats;
  readonly meanBatch: number;
  readonly rejected: number;
}

export interface ServerResult {
  readonly p99BoundMs: number;
  readonly maxBatch: number;
  readonly maxDelayMs: number;
  readonly loads: readonly ServerLoadPoint[];
  /** The highest offered rate whose p99 stayed under the bound with nothing rejected (0 if none did). */
  readonly sustainedRate: number;
}

/** fp16 against fp32 on the same inputs. */
export interface AccuracyResult {
  readonly model: string;
  readonly runtime: RuntimeId;
  readonly inputs: number;
  readonly top1Agreement: number;
  readonly top5Agreement: number;
  readonly maxAbsDiff: number;
  readonly meanAbsDiff: number;
}

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly v8: string;
  /** The WebGPU adapter ('NVIDIA H100 ... (Vulkan, driver 550.x)', 'llvmpipe (lavapipe)'), if any. */
  readonly gpu?: string;
  /** Package versions: joule, onnxruntime-node, onnxruntime-web, webgpu. */
  readonly versions: Readonly<Record<string, string>>;
}

/** A row of NVIDIA's 2015 study (whitepaper.md), shown beside the measurements and labelled as such. */
export interface ReferenceRow {
  readonly device: string;
  readonly model: string;
  readonly precision: 'fp32' | 'fp16';
  readonly batch: number;
  readonly imagesPerSecond: number;
  readonly watts?: number;
  readonly imagesPerSecondPerWatt?: number;
  /** Recalled from the study's tables but not confirmed from its text. */
  readonly approximate?: boolean;
}

export interface BenchReport {
  readonly schemaVersion: typeof benchSchemaVersion;
  readonly tool: 'joule bench';
  /** ISO 8601 start time. */
  readonly startedAt: string;
  readonly command: string;
  readonly machine: MachineInfo;
  readonly points: readonly BenchPoint[];
  readonly accuracy: readonly AccuracyResult[];
  readonly reference: readonly ReferenceRow[];
  /** True when the run was interrupted (Ctrl-C) and holds what was measured until then. */
  readonly interrupted: boolean;
}
