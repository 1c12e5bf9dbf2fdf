// The server's Prometheus metrics (prom-client), on a registry of its own.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PowerMeter } from '../bench/meters.js';
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
  readonly powerWatts: Gauge<'meter' | 'scope'>;
  readonly energyJoules: Counter<'meter' | 'scope'>;
  private meter?: PowerMeter;
  /** The meter read of the scrape in progress: the power and energy metrics share it. */
  private reading?: Promise<void>;

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
    const refresh = (): Promise<void> => this.refreshPower();
    // Read at each scrape: the meter's window since the previous scrape gives the mean power and the energy.
    this.powerWatts = new Gauge({
      name: 'joule_power_watts',
      help: 'Mean power since the previous scrape, where a meter exists (nvidia-smi for GPUs, RAPL for CPUs)',
      labelNames: ['meter', 'scope'],
      registers,
      collect: refresh,
    });
    this.energyJoules = new Counter({
      name: 'joule_energy_joules_total',
      help: 'Energy since the server started, where a meter exists',
      labelNames: ['meter', 'scope'],
      registers,
      collect: refresh,
    });
  }

  /** Starts sampling power with `meter`; each scrape reads the window since the previous one. */
  attachMeter(meter: PowerMeter): void {
    this.meter = meter;
    meter.start();
  }

  /** Stops the meter (the server is closing). */
  async detachMeter(): Promise<void> {
    const meter = this.meter;
    this.meter = undefined;
    await meter?.stop().catch(() => undefined);
  }

  private refreshPower(): Promise<void> {
    this.reading ??= this.readMeter().finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async readMeter(): Promise<void> {
    const meter = this.meter;
    if (meter === undefined) return;
    const reading = await meter.stop().catch(() => undefined);
    if (this.meter !== meter) return;
    meter.start();
    if (reading === undefined) return;
    const labels = { meter: meter.name, scope: meter.scope };
    this.powerWatts.set(labels, reading.averageWatts);
    this.energyJoules.inc(labels, reading.joules);
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
