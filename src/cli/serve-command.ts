import { Command, Option } from 'commander';
import type { Precision } from '../backends/backend.js';
import { type BackendName, backends } from '../backends/index.js';
import { JouleServer } from '../serve/server.js';
import { nonNegativeInt, nonNegativeNumber, positiveInt, positiveNumber } from './arguments.js';

interface ServeFlags {
  readonly model: string;
  readonly weights?: string;
  readonly mean?: string;
  readonly name?: string;
  readonly backend: BackendName;
  readonly precision: Precision;
  readonly maxBatch: number;
  readonly maxDelayMs: number;
  readonly maxQueue?: number;
  readonly instances: number;
  readonly threads?: number;
  readonly timeoutMs: number;
  readonly maxBodyMb: number;
  readonly maxPixels: number;
  readonly warm: boolean;
  readonly port: number;
  readonly host: string;
  readonly log?: boolean;
}

/** `joule serve`: image classification and KServe v2 inference over HTTP, with dynamic batching. */
export function serveCommand(): Command {
  return new Command('serve')
    .description('serve a model over HTTP: KServe v2 REST, POST /v1/classify for images, /metrics; requests are batched dynamically')
    .requiredOption('-m, --model <model>', 'an .onnx file, a Caffe .prototxt (with --weights) or zoo:<name>')
    .option('-w, --weights <file.caffemodel>', "a Caffe model's trained weights")
    .option('--mean <file.binaryproto>', 'a Caffe mean file: its per-channel mean becomes the preprocessing')
    .option('--name <name>', 'the model name in /v2/models/{name} (default: the zoo name or file name)')
    .addOption(new Option('-b, --backend <name>', 'backend that runs the model').choices(Object.keys(backends)).default('cpu'))
    .addOption(new Option('-p, --precision <p>', 'fp32, or fp16 weights').choices(['fp32', 'fp16']).default('fp32'))
    .option('--max-batch <n>', 'most requests (rows) in one batch', positiveInt, 32)
    .option('--max-delay-ms <ms>', 'longest a request waits for its batch to fill', nonNegativeNumber, 5)
    .option('--max-queue <n>', 'most rows waiting before requests get 429 (default 4 x max batch x instances)', positiveInt)
    .option('--instances <n>', 'model instances (worker threads), each running one batch at a time', positiveInt, 1)
    .option('-t, --threads <n>', 'backend threads per instance (default: the cores shared among the instances)', positiveInt)
    .option('--timeout-ms <ms>', 'per-request deadline; later answers are 504', positiveNumber, 30_000)
    .option('--max-body-mb <mb>', 'largest request body', positiveNumber, 20)
    .option('--max-pixels <n>', 'largest image (width x height) that /v1/classify decodes', positiveInt, 40_000_000)
    .option('--no-warm', 'do not run each prepared batch size once before serving')
    .option('--port <port>', 'TCP port (0 picks a free one)', nonNegativeInt, 8080)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--log', 'log every request (JSON lines on stdout)')
    .action(async (flags: ServeFlags) => {
      const started = performance.now();
      const server = await JouleServer.start({
        model: flags.model,
        weights: flags.weights,
        mean: flags.mean,
        name: flags.name,
        backend: flags.backend,
        precision: flags.precision,
        maxBatch: flags.maxBatch,
        maxDelayMs: flags.maxDelayMs,
        maxQueue: flags.maxQueue,
        instances: flags.instances,
        threads: flags.threads,
        timeoutMs: flags.timeoutMs,
        maxBodyBytes: Math.round(flags.maxBodyMb * (1 << 20)),
        maxPixels: flags.maxPixels,
        warm: flags.warm,
        port: flags.port,
        host: flags.host,
        logger: flags.log === true,
      });
      const model = server.pool.model;
      console.log(`joule serve: '${server.modelName}' on the ${flags.backend} backend (${flags.precision}), ${flags.instances} instance(s), max batch ${flags.maxBatch}, max delay ${flags.maxDelayMs} ms; ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      for (const warning of model.warnings) console.log(`warning: ${warning}`);
      console.log(`listening on ${server.url}  (POST /v1/classify, POST /v2/models/${server.modelName}/infer, GET /metrics)`);
      let stopping = false;
      const stop = (signal: string): void => {
        if (stopping) {
          // A second Ctrl-C means now; a repeated SIGTERM changes nothing.
          if (signal !== 'SIGINT') return;
          console.log('joule serve: SIGINT again, exiting without draining');
          process.exit(1);
        }
        stopping = true;
        console.log(`joule serve: ${signal}: no new requests; finishing ${server.batcher.depth} queued row(s) and those running`);
        server.close().then(
          () => {
            console.log('joule serve: drained, exiting');
            process.exit(0);
          },
          (e: Error) => {
            console.error(`joule serve: ${e.message}`);
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
