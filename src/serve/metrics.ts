// The server's Prometheus metrics (prom-client), on a registry of its own.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BatchObserver, RejectReason } from './batcher.js';

const secondsBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class ServerMetrics implements BatchObserver {
  readonly registry = new Registry();
  readonly batchSize: Histogram;
  readonly paddedBatchSize: Histogram;
  readonly queueSeconds: Histogram;
  readonly computeSeconds: Histogram;
  readonly requestSeconds: Histogram<'route'>;
  readonly queueDepth: Gauge;
  readonly requests: Counter<'route' | 'code'>;
  readonly failures: Counter<'reason'>;
  readonly instancesReady: Gauge;
  readonly instanceRestarts: Counter;
  readonly gpuWatts: Gauge;
  readonly gpuJoules: Counter;

  constructor(maxBatch: number) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'joule_' });
    const batchBuckets = [...new Set([1, 2, 4, 8, 16, 32, 64, 128, 256].filter((b) => b < maxBatch).concat(maxBatch))];
    this.batchSize = new Histogram({ name: 'joule_batch_size', help: 'Requests rows per executed batch (padding excluded)', buckets: batchBuckets, registers });
    this.paddedBatchSize = new Histogram({ name: 'joule_batch_size_padded', help: 'Rows per executed batch, padded to a prepared batch size', buckets: batchBuckets, registers });
    this.queueSeconds = new Histogram({ name: 'joule_queue_seconds', help: 'Time requests waited in the batcher queue', buckets: secondsBuckets, registers });
    this.computeSeconds = new Histogram({ name: 'joule_compute_seconds', help: 'Time a batch took on its model instance', buckets: secondsBuckets, registers });
    this.requestSeconds = new Histogram({ name: 'joule_request_duration_seconds', help: 'End-to-end request latency (decode, queue, compute, reply)', labelNames: ['route'], buckets: secondsBuckets, registers });
    this.queueDepth = new Gauge({ name: 'joule_queue_depth', help: 'Rows waiting in the batcher queue', registers });
    this.requests = new Counter({ name: 'joule_requests_total', help: 'Inference requests answered, by route and HTTP status', labelNames: ['route', 'code'], registers });
    this.failures = new Counter({ name: 'joule_request_failures_total', help: 'Requests that got no result, by reason', labelNames: ['reason'], registers });
    this.instancesReady = new Gauge({ name: 'joule_instances_ready', help: 'Model instances loaded and serving', registers });
    this.instanceRestarts = new Counter({ name: 'joule_instance_restarts_total', help: 'Model instances restarted after dying', registers });
    this.gpuWatts = new Gauge({ name: 'joule_gpu_power_watts', help: 'GPU board power (nvidia-smi), where a meter exists', registers });
    this.gpuJoules = new Counter({ name: 'joule_gpu_energy_joules_total', help: 'GPU energy since the server started (nvidia-smi), where a meter exists', registers });
  }

  onBatch(rows: number, paddedTo: number, queueMs: readonly number[], computeMs: number): void {
    this.batchSize.observe(rows);
    this.paddedBatchSize.observe(paddedTo);
    for (const ms of queueMs) this.queueSeconds.observe(ms / 1000);
    this.computeSeconds.observe(computeMs / 1000);
  }

  onQueueDepth(rows: number): void {
    this.queueDepth.set(rows);
  }

  onReject(reason: RejectReason): void {
    this.failures.inc({ reason });
  }
}
