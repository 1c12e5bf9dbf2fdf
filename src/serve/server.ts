// `joule serve`: a Fastify HTTP server in front of the dynamic batcher and the model instances.
// KServe v2 REST, /v1/classify for images, /metrics for Prometheus.

import { availableParallelism } from 'node:os';
import { basename, extname } from 'node:path';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Precision } from '../backends/backend.js';
import type { BackendName } from '../backends/index.js';
import { detectMeter } from '../bench/meters.js';
import { JouleError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { asProbabilities, topIndices } from '../runtime/top-k.js';
import { imagenetLabels, preprocessingOf } from '../zoo/index.js';
import { BatchRejection, DynamicBatcher, defaultBatchSizes } from './batcher.js';
import { ImageError, imageToTensor } from './image.js';
import { InstancePool } from './instances.js';
import { RequestError, encodeInferResponse, kserveDatatype, kserveShape, parseInferRequest } from './kserve.js';
import { ServerMetrics } from './metrics.js';

export interface ServeOptions {
  /** A model path (.onnx, or a Caffe .prototxt with `weights`), 'zoo:<name>', or ONNX bytes. */
  readonly model: string | Uint8Array;
  readonly weights?: string;
  readonly mean?: string;
  /** The name in /v2/models/{name} (default: the zoo name or the file's base name). */
  readonly name?: string;
  readonly backend?: BackendName;
  readonly precision?: Precision;
  /** Model instances (worker threads), each running one batch at a time (default 1). */
  readonly instances?: number;
  /** Backend threads per instance (default: the cores shared among the instances). */
  readonly threads?: number;
  /** Most rows in a batch (default 32). */
  readonly maxBatch?: number;
  /** Longest a request waits for a batch to fill (default 5 ms). */
  readonly maxDelayMs?: number;
  /** Most rows waiting before requests get 429 (default 4 x max batch x instances). */
  readonly maxQueue?: number;
  /** Longest a request may take before it gets 504 (default 30 s). */
  readonly timeoutMs?: number;
  /** Largest request body (default 20 MiB). */
  readonly maxBodyBytes?: number;
  /** Largest image, in pixels, that /v1/classify decodes (default 40 megapixels). */
  readonly maxPixels?: number;
  /** Run every prepared batch size once before serving (default true). */
  readonly warm?: boolean;
  readonly host?: string;
  /** 0 picks a free port (default 8080). */
  readonly port?: number;
  /** Sample power for /metrics where a meter exists (nvidia-smi for webgpu, RAPL for cpu; default true). */
  readonly powerMeter?: boolean;
  /** Log requests with Fastify's logger (default false). */
  readonly logger?: boolean;
}

export interface Classification {
  readonly index: number;
  readonly label: string | null;
  readonly probability: number;
}

export class JouleServer {
  private closing?: Promise<void>;

  private constructor(
    private readonly state: AppState,
    readonly app: FastifyInstance,
    readonly pool: InstancePool,
    readonly batcher: DynamicBatcher,
    readonly metrics: ServerMetrics,
    readonly modelName: string,
    /** Where it listens, e.g. http://127.0.0.1:8080. */
    readonly url: string,
  ) {}

  static async start(options: ServeOptions): Promise<JouleServer> {
    const instances = options.instances ?? 1;
    if (!Number.isInteger(instances) || instances < 1) throw new JouleError('BAD_ARGUMENT', `instances must be a positive integer, got ${instances}`);
    const maxBatch = options.maxBatch ?? 32;
    const batchSizes = defaultBatchSizes(maxBatch);
    const metrics = new ServerMetrics(maxBatch);
    let batcher: DynamicBatcher | undefined;
    const pool = await InstancePool.start(
      {
        model: options.model,
        options: {
          backend: options.backend ?? 'cpu',
          precision: options.precision,
          threads: options.threads ?? Math.max(1, Math.floor(availableParallelism() / instances)),
          weights: options.weights,
          mean: options.mean,
          maxPlans: batchSizes.length,
        },
        warmBatches: options.warm === false ? [] : batchSizes,
      },
      instances,
      {
        onAvailable: () => batcher?.pump(),
        onCrash: () => {
          metrics.instanceRestarts.inc();
          metrics.instancesReady.set(pool.ready);
        },
        onReady: (n) => metrics.instancesReady.set(n),
      },
    );
    try {
      batcher = new DynamicBatcher(pool.model.inputs, pool, { maxBatch, maxDelayMs: options.maxDelayMs ?? 5, maxQueue: options.maxQueue ?? 4 * maxBatch * instances, batchSizes }, metrics);
      const name = options.name ?? modelNameOf(options.model);
      const state: AppState = { closing: false };
      const app = buildApp(state, pool, batcher, metrics, name, options);
      const address = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 8080 });
      const meter = options.powerMeter === false ? { reason: 'disabled' } : await detectMeter(options.backend ?? 'cpu');
      if ('meter' in meter) metrics.attachMeter(meter.meter);
      return new JouleServer(state, app, pool, batcher, metrics, name, address);
    } catch (e) {
      await pool.close();
      throw e;
    }
  }

  /**
   * Stops accepting requests, lets those in flight finish (queued ones included), then stops the
   * instances. Safe to call more than once.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.state.closing = true;
      const appClosed = this.app.close();
      await this.batcher.drain();
      // Keep-alive connections that were busy when closing began are closed as they fall idle.
      let closed = false;
      void appClosed.finally(() => (closed = true));
      while (!closed) {
        this.app.server.closeIdleConnections();
        await Promise.race([appClosed, new Promise((r) => setTimeout(r, 20))]);
      }
      await this.pool.close();
      await this.metrics.detachMeter();
    })();
    return this.closing;
  }
}

function modelNameOf(model: string | Uint8Array): string {
  if (typeof model !== 'string') return 'model';
  if (model.startsWith('zoo:')) return model.slice(4);
  return basename(model, extname(model));
}

/** The HTTP answer for an error: a status and a JSON body naming the problem. */
function answerError(reply: FastifyReply, e: unknown): FastifyReply {
  const send = (status: number, code: string, message: string, retryAfterS?: number): FastifyReply => {
    if (retryAfterS !== undefined) reply.header('retry-after', String(retryAfterS));
    return reply.code(status).send({ error: message, code });
  };
  if (e instanceof BatchRejection) {
    switch (e.reason) {
      case 'queue_full':
        return send(429, 'QUEUE_FULL', e.message, e.retryAfterS ?? 1);
      case 'deadline':
        return send(504, 'DEADLINE_EXCEEDED', e.message);
      case 'bad_input':
        return send(400, 'BAD_INPUT', e.message);
      case 'cancelled':
        return send(499, 'CANCELLED', e.message);
      default:
        return send(503, e.reason.toUpperCase(), e.message, 1);
    }
  }
  if (e instanceof ImageError) {
    const status = { EMPTY_IMAGE: 400, BAD_IMAGE: 400, UNSUPPORTED_IMAGE_TYPE: 415, IMAGE_TOO_LARGE: 413 }[e.code];
    return send(status, e.code, e.message);
  }
  if (e instanceof RequestError) return send(e.status, e.code, e.message);
  if (e instanceof JouleError) return send(e.code === 'BAD_FEED' || e.code === 'SHAPE_MISMATCH' ? 400 : 500, e.code, e.message);
  // Fastify's and its plugins' own errors (a multipart file over the size limit, ...) carry their status.
  const status = (e as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return send(status, String((e as { code?: unknown }).code ?? 'BAD_REQUEST'), (e as Error).message);
  reply.log.error(e);
  return send(500, 'INTERNAL', e instanceof Error ? e.message : String(e));
}

const imageTypes = new Set(['image/jpeg', 'image/png', 'image/webp', 'application/octet-stream']);

interface AppState {
  /** Set when the server starts closing: answers then ask clients to close their connections. */
  closing: boolean;
}

function buildApp(state: AppState, pool: InstancePool, batcher: DynamicBatcher, metrics: ServerMetrics, name: string, options: ServeOptions): FastifyInstance {
  const maxBodyBytes = options.maxBodyBytes ?? 20 << 20;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxPixels = options.maxPixels ?? 40_000_000;
  const app = Fastify({ logger: options.logger === true, bodyLimit: maxBodyBytes, return503OnClosing: true });
  const model = pool.model;
  const preprocessing = preprocessingOf(model);
  const labels = model.metadata['joule.labels'] === 'imagenet-1k' ? imagenetLabels : undefined;

  // Bodies arrive as bytes; each route decodes its own (JSON or binary tensors, images).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  void app.register(multipart, { limits: { fileSize: maxBodyBytes, files: 1, fields: 10 } });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _req, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) reply.log.error(error);
    return reply.code(status).send({ error: error.message, code: error.code ?? 'ERROR' });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `no route ${req.method} ${req.url}`, code: 'NOT_FOUND' }));

  app.addHook('onSend', async (_req, reply) => {
    if (state.closing) reply.header('connection', 'close');
  });

  const inference = new Set(['/v1/classify', '/v2/models/:name/infer']);
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url;
    if (route === undefined || !inference.has(route)) return;
    metrics.requests.inc({ route, code: String(reply.statusCode) });
    metrics.requestSeconds.observe({ route }, reply.elapsedTime / 1000);
  });

  /** Runs feeds through the batcher with the request's deadline, dropped if the client goes away. */
  const submit = (feeds: Record<string, Tensor>, reply: FastifyReply) => {
    const cancel = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) cancel.abort();
    });
    return batcher.submit(feeds, { deadline: performance.now() + timeoutMs, signal: cancel.signal });
  };

  const ready = (): boolean => pool.ready > 0 && batcher !== undefined;
  const checkName = (req: FastifyRequest<{ Params: { name: string } }>): void => {
    if (req.params.name !== name) throw new RequestError(404, 'MODEL_NOT_FOUND', `no model '${req.params.name}'; this server serves '${name}'`);
  };

  app.get('/v2/health/live', async () => ({ live: true }));
  app.get('/v2/health/ready', async (_req, reply) => reply.code(ready() ? 200 : 503).send({ ready: ready() }));
  app.get('/v2', async () => ({ name: 'joule', version: process.env.npm_package_version ?? '', extensions: ['binary_tensor_data'] }));
  app.get<{ Params: { name: string } }>('/v2/models/:name', async (req, reply) => {
    try {
      checkName(req);
    } catch (e) {
      return answerError(reply, e);
    }
    const describe = (v: (typeof model.inputs)[number]) => ({ name: v.name, datatype: kserveDatatype(v.dtype), shape: kserveShape(v) });
    return { name, versions: ['1'], platform: 'joule', inputs: model.inputs.map(describe), outputs: model.outputs.map(describe) };
  });
  app.get<{ Params: { name: string } }>('/v2/models/:name/ready', async (req, reply) => {
    try {
      checkName(req);
    } catch (e) {
      return answerError(reply, e);
    }
    return reply.code(ready() ? 200 : 503).send({ name, ready: ready() });
  });

  app.post<{ Params: { name: string } }>('/v2/models/:name/infer', async (req, reply) => {
    try {
      checkName(req);
      const body = Buffer.isBuffer(req.body) ? req.body : new Uint8Array();
      const header = req.headers['inference-header-content-length'];
      const headerLength = header === undefined ? undefined : Number(header);
      const request = parseInferRequest(body, headerLength, model.inputs);
      const { outputs } = await submit(request.feeds, reply);
      const encoded = encodeInferResponse(name, request, outputs);
      if (encoded.headerLength === undefined) return reply.type('application/json').send(encoded.body);
      return reply.type('application/octet-stream').header('inference-header-content-length', String(encoded.headerLength)).send(Buffer.from(encoded.body as Uint8Array));
    } catch (e) {
      return answerError(reply, e);
    }
  });

  app.post<{ Querystring: { top?: string } }>('/v1/classify', async (req, reply) => {
    const started = performance.now();
    try {
      if (preprocessing === undefined) {
        throw new RequestError(400, 'NO_PREPROCESSING', `model '${name}' does not say how to preprocess images (no joule.preprocessing metadata); use /v2/models/${name}/infer with tensors`);
      }
      const top = req.query.top === undefined ? 5 : Number(req.query.top);
      if (!Number.isInteger(top) || top < 1) throw new RequestError(400, 'BAD_ARGUMENT', `top must be a positive integer, got '${req.query.top}'`);
      const image = await imageBytes(req);
      const tensor = await imageToTensor(image, preprocessing, { maxPixels });
      const result = await submit({ [preprocessing.inputName]: tensor }, reply);
      const probabilities = result.outputs[model.outputs[0].name];
      return {
        model: name,
        predictions: classify(probabilities, top, labels),
        timing: { queueMs: round(result.queueMs), computeMs: round(result.computeMs), totalMs: round(performance.now() - started), batchSize: result.batchRows },
      };
    } catch (e) {
      return answerError(reply, e);
    }
  });

  app.get('/metrics', async (_req, reply) => {
    metrics.instancesReady.set(pool.ready);
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  return app;
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

/** The image in a raw body (JPEG, PNG, WebP or octet-stream) or in the first file of a multipart form. */
async function imageBytes(req: FastifyRequest): Promise<Uint8Array> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'multipart/form-data') {
    const file = await req.file();
    if (file === undefined) throw new ImageError('EMPTY_IMAGE', 'the multipart form has no file');
    const bytes = await file.toBuffer();
    return bytes;
  }
  if (!imageTypes.has(type)) {
    throw new ImageError('UNSUPPORTED_IMAGE_TYPE', `content-type '${type || '(none)'}' is not accepted; send image/jpeg, image/png, image/webp, application/octet-stream or multipart/form-data`);
  }
  return Buffer.isBuffer(req.body) ? req.body : new Uint8Array();
}

/** The k most probable classes of the first row; the output is softmaxed unless it already sums to 1. */
export function classify(output: Tensor, k: number, labels: readonly string[] | undefined): Classification[] {
  const classes = output.size / (output.shape[0] ?? 1);
  const p = asProbabilities(output.toFloat64().subarray(0, classes));
  return topIndices(p, k).map((index) => ({ index, label: labels?.[index] ?? null, probability: p[index] }));
}
