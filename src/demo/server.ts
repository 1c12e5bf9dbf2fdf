// `joule demo`: serves the browser build's demo page on localhost, cross-origin isolated so that the cpu
// backend's threads can share memory, and measures in Node, on request, what the page measures in the browser.

import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Precision } from '../backends/backend.js';
import { type BackendName, isBackendName } from '../backends/index.js';
import { encodeOnnx } from '../formats/onnx/encode.js';
import { Session } from '../runtime/session.js';
import { syntheticInput } from '../runtime/synthetic.js';
import { preprocessingOf, zoo, zooEntry } from '../zoo/index.js';
import type { NodeMeasurement } from './page/protocol.js';

export interface DemoOptions {
  readonly host?: string;
  /** 0 picks a free port (default 8081). */
  readonly port?: number;
  /** The browser build (joule.js and demo/); by default the one beside this module, or the package's dist/browser. */
  readonly assetsDir?: string;
  /** Send COOP/COEP so the page is cross-origin isolated and the cpu backend gets threads (default true). */
  readonly isolated?: boolean;
  /** Largest ONNX file the page may send to be measured (default 512 MiB). */
  readonly maxModelBytes?: number;
}

const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** The demo page's HTTP server. */
export class DemoServer {
  private constructor(
    readonly app: FastifyInstance,
    /** Where it listens, e.g. http://127.0.0.1:8081. */
    readonly url: string,
    readonly assetsDir: string,
  ) {}

  static async start(options: DemoOptions = {}): Promise<DemoServer> {
    const assetsDir = options.assetsDir ?? defaultAssetsDir();
    const files = await assetFiles(assetsDir);
    const app = Fastify({ logger: false, bodyLimit: options.maxModelBytes ?? 512 * (1 << 20) });
    app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    app.addHook('onSend', async (_request, reply) => {
      if (options.isolated !== false) {
        reply.header('cross-origin-opener-policy', 'same-origin');
        reply.header('cross-origin-embedder-policy', 'require-corp');
      }
      reply.header('cross-origin-resource-policy', 'same-origin');
      reply.header('cache-control', 'no-cache');
    });
    app.get('/api/info', async () => ({
      zoo: Object.values(zoo).map((z) => ({ name: z.name, description: z.description, size: z.preprocessing.size })),
    }));
    const measurer = new NodeMeasurer();
    app.post('/api/measure', async (request) => measurer.measure(request.query as Record<string, string | undefined>, request.body));
    app.get('/*', async (request, reply) => {
      const name = (request.params as { '*': string })['*'] || 'index.html';
      const file = files.get(name);
      if (file === undefined) return reply.code(404).type('text/plain').send(`not found: /${name}`);
      return reply.type(contentTypes[extname(name)] ?? 'application/octet-stream').send(await readFile(file));
    });
    const url = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 8081 });
    return new DemoServer(app, url, assetsDir);
  }

  async close(): Promise<void> {
    await this.app.close();
  }
}

/** The browser build beside this module (dist/demo -> dist/browser), or, run from the sources, the package's dist/browser. */
export function defaultAssetsDir(): string {
  const candidates = ['../browser/', '../../dist/browser/'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  const found = candidates.find((dir) => existsSync(join(dir, 'joule.js')) && existsSync(join(dir, 'demo', 'index.html')));
  if (found === undefined) throw new Error(`the browser build is missing (looked in ${candidates.join(' and ')}): run \`npm run build\``);
  return found;
}

/** URL path -> file: the page's files at the root, the library bundle as /joule.js. */
async function assetFiles(dir: string): Promise<Map<string, string>> {
  if (!existsSync(join(dir, 'joule.js')) || !existsSync(join(dir, 'demo', 'index.html'))) {
    throw new Error(`${dir} holds no browser build (joule.js and demo/index.html): run \`npm run build\``);
  }
  const files = new Map<string, string>();
  for (const name of await readdir(join(dir, 'demo'))) files.set(name, join(dir, 'demo', name));
  for (const name of await readdir(dir)) if (name.startsWith('joule.js')) files.set(name, join(dir, name));
  return files;
}

/** Runs the page's benchmark points in Node, one at a time, with the same Session the page uses. */
class NodeMeasurer {
  private queue: Promise<unknown> = Promise.resolve();

  measure(query: Record<string, string | undefined>, body: unknown): Promise<NodeMeasurement> {
    const result = this.queue.then(() => this.run(query, body)).catch((e: unknown) => ({ notMeasured: e instanceof Error ? e.message : String(e) }));
    this.queue = result;
    return result;
  }

  private async run(query: Record<string, string | undefined>, body: unknown): Promise<NodeMeasurement> {
    const backend = query.backend ?? 'cpu';
    if (!isBackendName(backend)) return { notMeasured: `unknown backend '${backend}'` };
    const precision = query.precision ?? 'fp32';
    if (precision !== 'fp32' && precision !== 'fp16') return { notMeasured: `unknown precision '${precision}'` };
    const batch = Number(query.batch ?? '1');
    if (!Number.isInteger(batch) || batch < 1 || batch > 256) return { notMeasured: `batch must be an integer from 1 to 256, got '${query.batch}'` };
    // As long as the page measured (at least 100 ms, at most 10 s; 2 s unless it says).
    const minMs = Math.min(10_000, Math.max(100, Number(query.minMs ?? 2000) || 2000));
    const source = modelSource(query, body);
    if (typeof source === 'object' && 'notMeasured' in source) return source;
    const session = await Session.load(source, { backend: backend as BackendName, precision: precision as Precision });
    try {
      const input = session.inputs[0];
      const feeds = { [input.name]: syntheticInput(input, batch, preprocessingOf(session.info)) };
      await session.run(feeds); // warm-up: prepares this batch size's plan
      let runs = 0;
      const started = performance.now();
      while (runs < 3 || performance.now() - started < minMs) {
        await session.run(feeds);
        runs++;
      }
      const seconds = (performance.now() - started) / 1000;
      return { imagesPerSecond: (runs * batch) / seconds, meanMs: (seconds * 1000) / runs, runs, threads: session.options.threads };
    } finally {
      await session.dispose();
    }
  }
}

function modelSource(query: Record<string, string | undefined>, body: unknown): string | Uint8Array | { notMeasured: string } {
  if (query.model === undefined) {
    if (!(body instanceof Uint8Array) || body.byteLength === 0) return { notMeasured: 'no model: name a zoo model or send the ONNX file' };
    return body;
  }
  const entry = zooEntry(query.model);
  if (query.inputSize === undefined || query.inputSize === '' || Number(query.inputSize) === entry.preprocessing.size) return `zoo:${entry.name}`;
  const inputSize = Number(query.inputSize);
  if (!Number.isInteger(inputSize) || inputSize < 1) return { notMeasured: `inputSize must be a positive integer, got '${query.inputSize}'` };
  return encodeOnnx(entry.build({ inputSize }));
}
