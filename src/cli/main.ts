#!/usr/bin/env node
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import type { Precision } from '../backends/backend.js';
import { type BackendName, backends } from '../backends/index.js';
import { JouleError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { readNpy, writeNpy } from '../formats/npy.js';
import { encodeOnnx } from '../formats/onnx/encode.js';
import { formatSummary, summarize } from '../ir/summary.js';
import { verify } from '../ir/verify.js';
import { isCaffeSource, loadModel } from '../runtime/load.js';
import { Session } from '../runtime/session.js';
import { syntheticInput } from '../runtime/synthetic.js';
import { imagenetLabels, preprocessingOf, zoo, zooEntry } from '../zoo/index.js';
import { positiveInt } from './arguments.js';
import { benchCommand } from './bench-command.js';
import { demoCommand } from './demo-command.js';
import { loadgenCommand } from './loadgen-command.js';
import { serveCommand } from './serve-command.js';
import { topK } from '../runtime/top-k.js';

// dist/cli/main.js and src/cli/main.ts both sit two levels below package.json.
const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

const program = new Command('joule')
  .version(version)
  .description('Deep-learning inference for TypeScript: run and inspect ONNX and Caffe models and the built-in BVLC zoo')
  .option('--verbose', 'print stack traces with errors')
  .showHelpAfterError();

const backendOption = new Option('-b, --backend <name>', 'backend that runs the model').choices(Object.keys(backends)).default('reference');
const precisionOption = new Option('-p, --precision <p>', 'fp32, or fp16 weights').choices(['fp32', 'fp16']).default('fp32');

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const modelArgument = 'an .onnx file, a Caffe .prototxt (with --weights) or zoo:<name>';
const weightsOption = (): Option => new Option('-w, --weights <file.caffemodel>', "a Caffe model's trained weights");
const meanOption = (): Option => new Option('--mean <file.binaryproto>', 'a Caffe mean file: its per-channel mean becomes the preprocessing');

program
  .command('run')
  .description('run a model on .npy inputs (or a synthetic image) and write every output as <dir>/<name>.npy')
  .argument('<model>', modelArgument)
  .addOption(weightsOption())
  .addOption(meanOption())
  .option('-i, --input <name=file.npy>', 'an input tensor (repeatable)', collect, [])
  .option('-o, --out <dir>', 'directory for the outputs (one .npy per graph output)')
  .option('--synthetic', 'feed deterministic synthetic inputs instead of files')
  .option('--batch <n>', 'batch size for synthetic inputs', positiveInt, 1)
  .option('--top <k>', 'print the k most probable classes of the first output', positiveInt)
  .option('-t, --threads <n>', 'worker threads', positiveInt)
  .addOption(backendOption)
  .addOption(precisionOption)
  .action(async (model: string, opts: RunOptions) => {
    const session = await Session.load(model, {
      backend: opts.backend,
      precision: opts.precision,
      threads: opts.threads,
      weights: opts.weights,
      mean: opts.mean,
    });
    try {
      const feeds = await readFeeds(session, opts);
      const started = performance.now();
      const outputs = await session.run(feeds);
      const ms = performance.now() - started;
      console.log(`ran ${model} on the ${opts.backend} backend (${opts.precision}) in ${ms.toFixed(1)} ms`);
      for (const warning of await session.warnings()) console.error(`warning: ${warning}`);
      for (const [name, t] of Object.entries(outputs)) console.log(`  ${name}: ${t.dtype} [${t.shape.join(', ')}]`);
      if (opts.out !== undefined) {
        await mkdir(opts.out, { recursive: true });
        for (const [name, t] of Object.entries(outputs)) {
          const file = join(opts.out, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.npy`);
          await writeFile(file, writeNpy(t));
          console.log(`wrote ${file}`);
        }
      }
      if (opts.top !== undefined) printTop(outputs[session.outputs[0].name], opts.top, labelsOf(session));
    } finally {
      await session.dispose();
    }
  });

program
  .command('info')
  .description('inputs, outputs, op counts, parameters, per-layer output shapes and multiply-adds')
  .argument('<model>', modelArgument)
  .addOption(weightsOption())
  .option('--plan', 'run the model on a synthetic input and show, per layer, the algorithm (kernel) the backend chose, its time and GFLOP/s')
  .addOption(backendOption)
  .addOption(precisionOption)
  .option('--batch <n>', 'batch size of the --plan runs', positiveInt, 1)
  .option('--runs <n>', 'timed runs of --plan (after two warm-up runs)', positiveInt, 5)
  .action(async (model: string, opts: InfoOptions) => {
    // Shapes need no trained weights: a Caffe definition alone is read with zeros in their place.
    const zeros = isCaffeSource(model) && opts.weights === undefined;
    const session = await Session.load(model, {
      weights: opts.weights,
      missingWeights: zeros ? 'zeros' : undefined,
      backend: opts.backend,
      precision: opts.precision,
      profile: opts.plan === true,
    });
    try {
      if (opts.plan === true) {
        await printPlan(model, session, opts);
        return;
      }
      console.log(`${model} (after constant folding, dropout/identity removal and BatchNorm folding${zeros ? '; no weights given' : ''})`);
      console.log(formatSummary(summarize(session.graph)));
    } finally {
      await session.dispose();
    }
  });

interface InfoOptions {
  readonly weights?: string;
  readonly plan?: boolean;
  readonly backend: BackendName;
  readonly precision: Precision;
  readonly batch: number;
  readonly runs: number;
}

/** Runs the model on synthetic input and prints each layer's algorithm, time and GFLOP/s. */
async function printPlan(model: string, session: Session, opts: InfoOptions): Promise<void> {
  const preprocessing = preprocessingOf(session.info);
  const feeds = Object.fromEntries(session.inputs.map((info) => [info.name, syntheticInput(info, opts.batch, preprocessing)]));
  for (let i = 0; i < 2; i++) await session.run(feeds);
  await session.profile();
  await session.layerProfile();
  const started = performance.now();
  for (let i = 0; i < opts.runs; i++) await session.run(feeds);
  const wall = (performance.now() - started) / opts.runs;
  const layers = await session.layerProfile();
  const kernels = await session.profile();
  const algorithms = await session.algorithms();
  console.log(`${model} on the ${opts.backend} backend (${opts.precision}), batch ${opts.batch}: mean of ${opts.runs} runs after 2 warm-up, ${wall.toFixed(2)} ms a run`);
  for (const warning of await session.warnings()) console.log(`warning: ${warning}`);
  if (layers.size === 0) {
    console.log(`the ${opts.backend} backend does not time single layers${kernels.size > 0 ? '; time per kind of step (ms a run):' : ''}`);
    for (const [step, ms] of [...kernels].sort((a, b) => b[1] - a[1])) console.log(`  ${step.padEnd(28)} ${(ms / opts.runs).toFixed(3)}`);
    return;
  }
  const rows = summarize(session.graph).layers.filter((l) => layers.has(l.name));
  const width = Math.max(5, ...rows.map((l) => l.name.length));
  const algorithmWidth = Math.max(9, ...rows.map((l) => (algorithms.get(l.name) ?? '-').length));
  console.log(`${'layer'.padEnd(width)}  ${'op'.padEnd(18)}  ${'algorithm'.padEnd(algorithmWidth)}  ${'ms'.padStart(8)}  ${'GFLOP/s'.padStart(8)}`);
  let total = 0;
  for (const l of rows) {
    const ms = layers.get(l.name)! / opts.runs;
    total += ms;
    const gflops = ms > 0 ? (2 * l.macs * opts.batch) / (ms * 1e6) : 0;
    console.log(`${l.name.padEnd(width)}  ${l.op.padEnd(18)}  ${(algorithms.get(l.name) ?? '-').padEnd(algorithmWidth)}  ${ms.toFixed(3).padStart(8)}  ${l.macs > 0 ? gflops.toFixed(1).padStart(8) : '-'.padStart(8)}`);
  }
  console.log(`sum over the layers: ${total.toFixed(2)} ms a run (each layer timed alone, so a little more than a plain run takes)`);
}

program
  .command('convert')
  .description('write a model (a Caffe net with its weights, a zoo network, an ONNX file) as an ONNX file')
  .argument('<model>', modelArgument)
  .requiredOption('-o, --output <file.onnx>', 'where to write the model')
  .addOption(weightsOption())
  .addOption(meanOption())
  .action(async (model: string, opts: { output: string; weights?: string; mean?: string }) => {
    const loaded = await loadModel(model, { weights: opts.weights, mean: opts.mean });
    verify(loaded.graph);
    const bytes = encodeOnnx(loaded);
    await writeFile(opts.output, bytes);
    console.log(`wrote ${opts.output} (${(bytes.byteLength / 1e6).toFixed(1)} MB, ${loaded.graph.nodes.length} nodes)`);
  });

const zooCommand = program.command('zoo').description('the built-in networks');
zooCommand
  .command('list')
  .description('list the built-in networks')
  .action(() => {
    for (const entry of Object.values(zoo)) console.log(`${entry.name.padEnd(12)} ${entry.description}`);
  });
zooCommand
  .command('export')
  .description('write a built-in network (with its deterministic weights) as an ONNX file')
  .argument('<name>', Object.keys(zoo).join(', '))
  .requiredOption('-o, --output <file.onnx>', 'where to write the model')
  .option('--seed <n>', 'weight seed', (v) => Number(v))
  .action(async (name: string, opts: { output: string; seed?: number }) => {
    const bytes = encodeOnnx(zooEntry(name).build({ seed: opts.seed }));
    await writeFile(opts.output, bytes);
    console.log(`wrote ${opts.output} (${(bytes.byteLength / 1e6).toFixed(1)} MB)`);
  });

interface RunOptions {
  weights?: string;
  mean?: string;
  input: string[];
  out?: string;
  synthetic?: boolean;
  batch: number;
  top?: number;
  threads?: number;
  backend: BackendName;
  precision: 'fp32' | 'fp16';
}

async function readFeeds(session: Session, opts: RunOptions): Promise<Record<string, Tensor>> {
  const feeds: Record<string, Tensor> = {};
  for (const spec of opts.input) {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new JouleError('BAD_ARGUMENT', `--input expects <name>=<file.npy>, got '${spec}'`);
    const name = spec.slice(0, eq);
    const file = spec.slice(eq + 1);
    const bytes = await readFile(file).catch((e: Error) => {
      throw new JouleError('IO', `cannot read input file '${file}': ${e.message}`);
    });
    try {
      feeds[name] = readNpy(bytes);
    } catch (e) {
      if (e instanceof JouleError) throw new JouleError(e.code, `input '${name}' (${file}): ${e.message}`);
      throw e;
    }
  }
  const preprocessing = preprocessingOf(session.info);
  for (const info of session.inputs) {
    if (feeds[info.name] !== undefined) continue;
    if (!opts.synthetic) {
      throw new JouleError('BAD_FEED', `no value for input '${info.name}'; pass --input ${info.name}=<file.npy> or --synthetic`);
    }
    feeds[info.name] = syntheticInput(info, opts.batch, preprocessing);
  }
  return feeds;
}

/** Class names, for models that say (in their metadata, as zoo exports do) which label set they use. */
function labelsOf(session: Session): readonly string[] | undefined {
  return session.info.metadata['joule.labels'] === 'imagenet-1k' ? imagenetLabels : undefined;
}

function printTop(output: Tensor, k: number, labels: readonly string[] | undefined): void {
  for (const [image, classes] of topK(output, k).entries()) {
    console.log(`image ${image}:`);
    for (const { index, score } of classes) {
      console.log(`  ${score.toFixed(4)}  ${String(index).padStart(4)}  ${labels?.[index] ?? ''}`);
    }
  }
}

program.addCommand(benchCommand());
program.addCommand(serveCommand());
program.addCommand(loadgenCommand());
program.addCommand(demoCommand());

try {
  await program.parseAsync();
} catch (e) {
  const verbose = program.opts<{ verbose?: boolean }>().verbose === true;
  if (verbose || !(e instanceof Error)) console.error(e);
  else console.error(`joule: ${e.message}`);
  process.exitCode = 1;
}
