/**
 * GPU benchmark, Node side: joule's `webgpu` backend and onnxruntime-node's WebGPU execution provider on
 * CaffeNet and GoogLeNet, fp32 and fp16, at batch 1 and a large batch. Plain JavaScript, so that it runs
 * with nothing but a Node binary and the bundle (see README.md beside this file).
 *
 *   node bench/gpu/node-bench.mjs [--quick] [--out results.json] [--joule-backend webgpu|cpu]
 *        [--runtimes joule,joule-resident,ort] [--models caffenet,googlenet] [--precisions fp32,fp16] [--batches 1,128]
 *        [--budget-s 240] [--dist DIR]
 *   node bench/gpu/node-bench.mjs --probe      # the WebGPU adapter, as JSON
 *
 * Each (runtime, model, precision) group runs in a child process (this script again), so that a crash in
 * native code (Dawn, onnxruntime) costs the point it happened in, not the run: the parent starts a new
 * child for the points left. Every point: warm-up runs (excluded), then a measured window of at least
 * --min-s seconds and --min-iters runs, capped at --cap-s per point; median latency per batch,
 * images/s = batch / median. GPU power comes from nvidia-smi, sampled every 100 ms around the window and
 * averaged over the samples inside it.
 *
 * `joule` runs take the input from host memory and return the probabilities to it, as onnxruntime's do;
 * `joule-resident` runs (webgpu only) take a GpuTensor uploaded once and leave the output on the GPU,
 * each run awaited with the queue's onSubmittedWorkDone, as PyTorch's `pytorch-cudnn` rows do. The two
 * share a child process and a session per (model, precision).
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));

const { values: opt } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    probe: { type: 'boolean', default: false },
    out: { type: 'string', default: 'gpu-bench-node.json' },
    dist: { type: 'string', default: join(here, '..', '..', 'dist') },
    'joule-backend': { type: 'string', default: 'webgpu' },
    runtimes: { type: 'string', default: 'joule,joule-resident,ort' },
    models: { type: 'string', default: 'caffenet,googlenet' },
    precisions: { type: 'string', default: 'fp32,fp16' },
    batches: { type: 'string' },
    'warmup-s': { type: 'string' },
    'warmup-iters': { type: 'string' },
    'min-s': { type: 'string' },
    'min-iters': { type: 'string' },
    'cap-s': { type: 'string' },
    'budget-s': { type: 'string' },
    power: { type: 'string', default: 'auto' }, // auto | off
    'gpu-index': { type: 'string', default: process.env.JOULE_GPU_INDEX ?? '0' },
    // Diagnostics: every layer takes the first candidate whose name starts with this (no timing).
    'force-variant': { type: 'string' },
  },
});

/** Full mode fits the 8-minute run with the PyTorch part; quick mode is an end-to-end check on any machine. */
const defaults = opt.quick
  ? { batches: '1,2', warmupS: 0.2, warmupIters: 1, minS: 0.5, minIters: 2, capS: 5, budgetS: 150 }
  : { batches: '1,128', warmupS: 1, warmupIters: 3, minS: 2.5, minIters: 10, capS: 15, budgetS: 240 };
const num = (name, fallback) => (opt[name] === undefined ? fallback : Number(opt[name]));
const settings = {
  quick: opt.quick,
  jouleBackend: opt['joule-backend'],
  batches: (opt.batches ?? defaults.batches).split(',').map(Number),
  warmupS: num('warmup-s', defaults.warmupS),
  warmupIters: num('warmup-iters', defaults.warmupIters),
  minS: num('min-s', defaults.minS),
  minIters: num('min-iters', defaults.minIters),
  capS: num('cap-s', defaults.capS),
  budgetS: num('budget-s', defaults.budgetS),
  power: opt.power,
  gpuIndex: opt['gpu-index'],
  forceVariant: opt['force-variant'],
  dist: resolve(opt.dist),
};

// ---------------------------------------------------------------------------------------------------
// Parent: plans the points, runs them in children, merges what they report.

async function runParent() {
  const deadline = Date.now() + settings.budgetS * 1000;
  // Runtimes by their names in the results: joule-<backend>, joule-webgpu-resident, ort-webgpu.
  const named = { joule: `joule-${settings.jouleBackend}`, 'joule-resident': 'joule-webgpu-resident', ort: 'ort-webgpu' };
  const runtimes = opt.runtimes
    .split(',')
    .map((r) => named[r] ?? r)
    .filter((r) => r !== 'joule-webgpu-resident' || settings.jouleBackend === 'webgpu');
  const groups = [];
  for (const model of opt.models.split(',')) {
    for (const precision of opt.precisions.split(',')) {
      // A child per runtime, except that joule's two ways of running share one (and its session).
      const children = groupBy(runtimes, sessionRuntime);
      for (const [, members] of children) groups.push(members.flatMap((runtime) => settings.batches.map((batch) => ({ runtime, model, precision, batch }))));
    }
  }
  const out = resolve(opt.out);
  const report = {
    tool: 'node-bench',
    startedAt: new Date().toISOString(),
    settings,
    node: process.version,
    onnxruntimeNode: packageVersion('onnxruntime-node'),
    webgpuPackage: packageVersion('webgpu'),
    gpu: nvidiaSmiGpu(settings.gpuIndex),
    adapter: runProbe(),
    points: [],
  };
  const save = () => writeFileSync(out, `${JSON.stringify(report, null, 1)}\n`);
  log(`adapter: ${report.adapter.error ?? `${report.adapter.vendor} / ${report.adapter.architecture} / ${report.adapter.description}`}`);
  for (const group of groups) {
    let todo = group;
    if (Date.now() > deadline) {
      report.points.push(...todo.map((p) => ({ ...p, status: 'skipped', reason: 'time budget used up (--budget-s)' })));
      continue;
    }
    while (todo.length > 0) {
      const done = await runGroup(todo, deadline);
      report.points.push(...done);
      todo = todo.slice(done.length);
      save();
    }
  }
  addOutputChecks(report.points);
  save();
  log(`wrote ${out}`);
}

/** Runs points in one child until it finishes or dies; returns a result for at least the first point. */
async function runGroup(points, deadline) {
  const resultsFile = join(dirname(resolve(opt.out)), `.node-bench-${process.pid}.jsonl`);
  rmSync(resultsFile, { force: true });
  const env = { ...process.env, JOULE_GPU_BENCH_CHILD: JSON.stringify({ settings, points, deadline, resultsFile }) };
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url)], { env, stdio: ['ignore', 'inherit', 'pipe'] });
  let stderrTail = '';
  child.stderr.on('data', (chunk) => {
    process.stderr.write(chunk);
    stderrTail = (stderrTail + chunk.toString()).slice(-2000);
  });
  // A child past the budget by more than a point's cap and a model load is stuck: kill it.
  const killAfter = Math.max(0, deadline - Date.now()) + (settings.capS + 90) * 1000;
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfter);
  const [code, signal] = await new Promise((done) => child.on('exit', (c, s) => done([c, s])));
  clearTimeout(timer);
  const results = existsSync(resultsFile)
    ? readFileSync(resultsFile, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l))
    : [];
  rmSync(resultsFile, { force: true });
  if (results.length < points.length) {
    const lastLines = stderrTail
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('[node-bench]') && !l.includes('artificially reduced')) // not Dawn's start-up notes
      .slice(-3)
      .join(' | ');
    const why = signal !== null ? `signal ${signal}` : `exit code ${code}`;
    results.push({ ...points[results.length], status: 'failed', reason: `child process died (${why}): ${lastLines}` });
  }
  return results;
}

/** Runs `--probe` in a child process, so that the parent never loads Dawn itself. */
function runProbe() {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--probe'], { encoding: 'utf8', timeout: 60_000 });
  try {
    return parseProbe(r.stdout);
  } catch {
    return { error: `probe failed (${r.signal ?? r.status}): ${(r.stderr ?? '').trim().split('\n').slice(-2).join(' | ')}` };
  }
}

/**
 * Compares each point's probabilities for image 0 (the same image at every batch size) with a reference
 * for that model: onnxruntime's fp32 output where there is one, else joule's fp32 output.
 */
function addOutputChecks(points) {
  for (const model of new Set(points.map((p) => p.model))) {
    const mine = points.filter((p) => p.model === model && p.prob0 !== undefined);
    const ref = mine.find((p) => p.runtime === 'ort-webgpu' && p.precision === 'fp32') ?? mine.find((p) => p.precision === 'fp32');
    for (const p of mine) {
      if (ref === undefined || p === ref) continue;
      p.maxDiff = Math.max(...p.prob0.map((v, i) => Math.abs(v - ref.prob0[i])));
      p.checkedAgainst = `${ref.runtime} ${ref.precision} batch ${ref.batch}`;
    }
  }
  for (const p of points) delete p.prob0;
}

// ---------------------------------------------------------------------------------------------------
// Child: loads one runtime's session at a time and measures its points.

async function runChild({ settings: s, points, deadline, resultsFile }) {
  const dist = (file) => pathToFileURL(join(s.dist, file)).href;
  const joule = await import(dist('index.js'));
  const { syntheticInput } = await import(dist('runtime/synthetic.js'));
  if (s.forceVariant !== undefined) (await import(dist('backends/webgpu/prepared.js'))).forcedVariant.prefix = s.forceVariant;
  const meter = s.power === 'off' ? { reason: 'disabled (--power off)' } : PowerMeter.probe(s.gpuIndex);
  const inputs = new Map();
  let session; // { key, runner, close } or { key, error }
  for (const point of points) {
    const label = `${point.runtime} ${point.model} ${point.precision} batch ${point.batch}`;
    const emit = (result) => {
      appendFileSync(resultsFile, `${JSON.stringify({ ...point, ...result })}\n`);
      log(`${label}: ${describe({ ...point, ...result })}`);
    };
    if (Date.now() > deadline) {
      emit({ status: 'skipped', reason: 'time budget used up (--budget-s)' });
      continue;
    }
    const key = `${sessionRuntime(point.runtime)} ${point.model} ${point.precision}`;
    if (session?.key !== key) {
      await session?.close?.();
      const t0 = performance.now();
      try {
        session = { key, ...(await openRunner(joule, s, point)) };
        session.loadS = (performance.now() - t0) / 1000;
      } catch (e) {
        session = { key, error: `load failed: ${e?.message ?? e}` };
      }
    }
    if (session.error !== undefined) {
      emit({ status: 'failed', reason: session.error });
      continue;
    }
    try {
      const inputKey = `${point.model} ${point.batch}`;
      if (!inputs.has(inputKey)) inputs.set(inputKey, syntheticInput(session.inputInfo, point.batch, session.preprocessing));
      const run = point.runtime.endsWith('-resident') ? session.runResident : session.run;
      const result = await measure(() => run(inputs.get(inputKey)), s, meter);
      const extra = session.profileOf === undefined || point.runtime.endsWith('-resident') ? {} : await session.profileOf(inputs.get(inputKey));
      emit({ status: 'ok', runtimeDetail: session.detail, loadS: session.loadS, ...result, ...extra });
    } catch (e) {
      emit({ status: 'failed', reason: `run failed: ${e?.message ?? e}` });
    }
  }
  await session?.close?.();
}

/** A runner for one (runtime, model, precision): run(input tensor) -> probabilities of image 0. */
async function openRunner(joule, s, { runtime, model, precision }) {
  const entry = joule.zooEntry(model);
  if (runtime.startsWith('joule-')) {
    const session = await joule.Session.load(`zoo:${model}`, { backend: s.jouleBackend, precision });
    const name = session.inputs[0].name;
    let profiled;
    // Resident runs: the input goes up once per input tensor, the output stays on the GPU (its first
    // run's output is read back for the output check).
    const onGpu = new Map();
    let device;
    const checked = new Set();
    const runResident = async (input) => {
      device ??= await session.gpuDevice();
      if (!onGpu.has(input)) onGpu.set(input, joule.GpuTensor.upload(device, input));
      const out = Object.values(await session.run({ [name]: onGpu.get(input) }, { outputLocation: 'gpu' }))[0];
      await device.queue.onSubmittedWorkDone();
      const prob0 = checked.has(input) ? null : firstImage((await out.download()).data);
      checked.add(input);
      out.destroy();
      return prob0;
    };
    // What became of the device's subgroup matrices (tensor cores), for the report.
    let matrix;
    if (s.jouleBackend === 'webgpu') {
      const { acquireGpu, releaseGpu } = await import(pathToFileURL(join(s.dist, 'backends/webgpu/device.js')).href);
      matrix = (await acquireGpu()).matrixNote;
      await releaseGpu();
    }
    return {
      inputInfo: session.inputs[0],
      preprocessing: entry.preprocessing,
      detail: `joule ${s.jouleBackend}${matrix === undefined ? '' : `; ${matrix}`}${s.forceVariant === undefined ? '' : `; forced: ${s.forceVariant}`}`,
      run: async (input) => firstImage(Object.values(await session.run({ [name]: input }))[0].data),
      runResident,
      // After the measured window: the algorithm each layer chose, and where the time goes in three
      // runs of a second, profiled session (GPU timestamps per kernel), outside every measurement.
      profileOf: async (input) => {
        profiled ??= await joule.Session.load(`zoo:${model}`, { backend: s.jouleBackend, precision, profile: true });
        for (let i = 0; i < 4; i++) await profiled.run({ [name]: input });
        await profiled.profile();
        await profiled.layerProfile();
        for (let i = 0; i < 3; i++) await profiled.run({ [name]: input });
        const perRun = (m) => Object.fromEntries([...m].map(([k, ms]) => [k, +(ms / 3).toFixed(3)]));
        const profile = perRun(await profiled.profile());
        const layers = perRun(await profiled.layerProfile());
        const algorithms = Object.fromEntries(await session.algorithms());
        return { profileMs: profile, layerMs: layers, algorithms, warnings: await session.warnings() };
      },
      close: async () => {
        for (const t of onGpu.values()) t.destroy();
        await session.dispose();
        await profiled?.dispose();
      },
    };
  }
  if (runtime === 'ort-webgpu') {
    const ort = await import('onnxruntime-node');
    const built = entry.build();
    const model_ = precision === 'fp16' ? await toFloat16Model(built, s) : built;
    const session = await ort.InferenceSession.create(joule.encodeOnnx(model_), {
      executionProviders: ['webgpu'],
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
    });
    const name = session.inputNames[0];
    return {
      inputInfo: built.graph.inputs[0],
      preprocessing: entry.preprocessing,
      detail: `onnxruntime-node ${packageVersion('onnxruntime-node')} webgpu EP${precision === 'fp16' ? ', fp16 model (Cast at input and output)' : ''}`,
      run: async (input) => {
        const out = await session.run({ [name]: new ort.Tensor('float32', input.data, [...input.shape]) });
        return firstImage(Object.values(out)[0].data);
      },
      close: () => session.release(),
    };
  }
  throw new Error(`unknown runtime '${runtime}' (give --runtimes joule,ort)`);
}

const firstImage = (data) => Array.from(data.subarray(0, 1000));

/** The probe's line among whatever Dawn prints (shader compilation logs go to stdout). */
const probeMarker = 'JOULE_PROBE ';
const parseProbe = (stdout) => JSON.parse(stdout.split('\n').find((line) => line.startsWith(probeMarker)).slice(probeMarker.length));

/** The runtime whose session (and child process) a runtime's points use. */
const sessionRuntime = (runtime) => runtime.replace(/-resident$/, '');

function groupBy(xs, key) {
  const m = new Map();
  for (const x of xs) m.set(key(x), [...(m.get(key(x)) ?? []), x]);
  return m;
}

/**
 * The model in float16 for onnxruntime: float32 initializers become float16, and Casts at the graph's
 * input and output keep the model's interface float32, as joule's is (onnxconverter's keep_io_types).
 */
async function toFloat16Model(model, s) {
  const { Tensor } = await import(pathToFileURL(join(s.dist, 'index.js')).href);
  const { float32ArrayToFloat16 } = await import(pathToFileURL(join(s.dist, 'core/float16.js')).href);
  const g = model.graph;
  const input = g.inputs[0].name;
  const output = g.outputs[0].name;
  const rename = (n) => (n === input ? `${input}_fp16` : n === output ? `${output}_fp16` : n);
  const cast = (from, to, type) => ({ name: `${to}_cast`, op: 'Cast', domain: '', inputs: [from], outputs: [to], attrs: { to: { type: 'int', value: type } } });
  const initializers = new Map(
    [...g.initializers].map(([k, t]) => [k, t.dtype === 'float32' ? new Tensor('float16', float32ArrayToFloat16(t.data), t.shape) : t]),
  );
  const nodes = [
    cast(input, `${input}_fp16`, 10), // TensorProto.FLOAT16
    ...g.nodes.map((n) => ({ ...n, inputs: n.inputs.map(rename), outputs: n.outputs.map(rename) })),
    cast(`${output}_fp16`, output, 1), // TensorProto.FLOAT
  ];
  // valueTypes would declare intermediate values as float32: drop them and let onnxruntime infer.
  return { ...model, graph: { ...g, nodes, initializers, valueTypes: new Map() } };
}

/** Warm-up, then the measured window; power averaged over the window. */
async function measure(run, s, meter) {
  const capMs = s.capS * 1000;
  const sampler = meter.start?.();
  const begin = performance.now();
  let warmup = 0;
  let prob0;
  while (warmup < s.warmupIters || performance.now() - begin < s.warmupS * 1000) {
    const p = await run();
    prob0 ??= p;
    warmup++;
    if (performance.now() - begin > capMs / 2) break; // slow point: leave half the cap for the window
  }
  const times = [];
  const windowStart = Date.now();
  const start = performance.now();
  while (times.length < s.minIters || performance.now() - start < s.minS * 1000) {
    const t = performance.now();
    await run();
    times.push(performance.now() - t);
    if (performance.now() - begin > capMs) break;
  }
  const windowS = (performance.now() - start) / 1000;
  const windowEnd = Date.now();
  const power = sampler === undefined ? { watts: null, powerNote: meter.reason } : await sampler.stop(windowStart, windowEnd);
  const sorted = [...times].sort((a, b) => a - b);
  const medianMs = sorted.length % 2 === 1 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  return {
    warmupIterations: warmup,
    iterations: times.length,
    windowS,
    medianMs,
    minMs: sorted[0],
    maxMs: sorted[sorted.length - 1],
    capped: times.length < s.minIters || windowS < s.minS,
    prob0,
    top1: prob0.indexOf(Math.max(...prob0)),
    ...power,
  };
}

function describe(r) {
  if (r.status !== 'ok') return `${r.status}: ${r.reason}`;
  const ips = r.batch / (r.medianMs / 1000);
  const watts = r.watts === null ? 'power not measured' : `${r.watts.toFixed(0)} W`;
  return `${ips.toFixed(1)} images/s, median ${r.medianMs.toFixed(2)} ms (${r.iterations} run${r.iterations === 1 ? '' : 's'}${r.capped ? ', capped' : ''}), ${watts}, load ${r.loadS.toFixed(1)} s`;
}

// ---------------------------------------------------------------------------------------------------
// GPU power through nvidia-smi.

class PowerMeter {
  /** A meter for GPU `index`, or { reason } when nvidia-smi is missing or reads no power. */
  static probe(index) {
    // power.draw.instant where the driver has it; power.draw is a 1 s average on recent GPUs.
    for (const field of ['power.draw.instant', 'power.draw']) {
      const r = spawnSync('nvidia-smi', [`--query-gpu=${field}`, '--format=csv,noheader,nounits', '-i', index], { encoding: 'utf8', timeout: 20_000 });
      if (r.error !== undefined) return { reason: `not measured (nvidia-smi: ${r.error.code ?? r.error.message})` };
      if (r.status === 0 && Number.isFinite(parseFloat(r.stdout))) return new PowerMeter(index, field);
    }
    return { reason: 'not measured (nvidia-smi reports no power draw)' };
  }

  constructor(index, field) {
    this.index = index;
    this.field = field;
  }

  /** Starts sampling every 100 ms; stop(start, end) ends it and averages the samples in [start, end] (epoch ms). */
  start() {
    const args = [`--query-gpu=timestamp,${this.field}`, '--format=csv,noheader,nounits', '-lms', '100', '-i', this.index];
    const proc = spawn('nvidia-smi', args, { stdio: ['ignore', 'pipe', 'ignore'] });
    const samples = [];
    let rest = '';
    proc.stdout.on('data', (chunk) => {
      const lines = (rest + chunk.toString()).split('\n');
      rest = lines.pop();
      for (const line of lines) {
        const [stamp, value] = line.split(',').map((x) => x.trim());
        const watts = parseFloat(value);
        if (Number.isFinite(watts)) samples.push({ t: parseStamp(stamp) ?? Date.now(), watts });
      }
    });
    const field = this.field;
    return {
      async stop(from, to) {
        await new Promise((r) => setTimeout(r, 150)); // let the last sample of the window arrive
        proc.kill();
        const inside = samples.filter((x) => x.t >= from && x.t <= to);
        if (inside.length === 0) return { watts: null, powerNote: `not measured (no ${field} sample inside the window)` };
        return { watts: inside.reduce((a, x) => a + x.watts, 0) / inside.length, powerSamples: inside.length, powerField: field };
      },
    };
  }
}

/** nvidia-smi's timestamp, '2026/11/27 12:38:46.214' in local time, as epoch ms. */
function parseStamp(stamp) {
  const m = /^(\d+)\/(\d+)\/(\d+) (\d+):(\d+):(\d+)(?:\.(\d+))?/.exec(stamp ?? '');
  if (m === null) return undefined;
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0').slice(0, 3));
  return new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], ms).getTime();
}

// ---------------------------------------------------------------------------------------------------
// Environment.

/**
 * The WebGPU adapter that Dawn (the `webgpu` package) picks for high performance, with the toggles joule
 * sets (f16 on NVIDIA, unsafe APIs for subgroup matrices): its features, its subgroup-matrix
 * configurations (the tensor cores WebGPU can reach), and the result of joule's check of its
 * matrix-unit kernel on them.
 */
async function probeAdapter() {
  try {
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    const gpu = create(['enable-dawn-features=allow_unsafe_apis,vulkan_enable_f16_on_nvidia']);
    globalThis.probedGpu = gpu; // Dawn's instance must outlive its work
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (adapter === null) return { error: 'no WebGPU adapter (no Vulkan driver found)' };
    const { vendor, architecture, device, description, subgroupMinSize, subgroupMaxSize } = adapter.info;
    const features = [...adapter.features].sort();
    const subgroupMatrixConfigs = [...(adapter.info.subgroupMatrixConfigs ?? [])].map(({ componentType, resultComponentType, M, N, K }) => ({ componentType, resultComponentType, M, N, K }));
    const probe = { vendor, architecture, device, description, shaderF16: features.includes('shader-f16'), features, subgroupMinSize, subgroupMaxSize, subgroupMatrixConfigs };
    probe.matrixCheck = await checkMatrixUnits(adapter, subgroupMatrixConfigs, subgroupMaxSize).catch((e) => `the check failed: ${e?.message ?? e}`);
    return probe;
  } catch (e) {
    return { error: `webgpu package unavailable: ${e?.message ?? e}` };
  }
}

/** joule's check of its matrix-unit kernel on each f16 configuration: 'passed', or why not. */
async function checkMatrixUnits(adapter, configs, subgroup) {
  const usable = configs.filter((c) => c.componentType === 'f16' && c.resultComponentType === 'f32');
  if (usable.length === 0) return 'no f16 subgroup-matrix configuration';
  const { matrixTile, checkMatrixTile } = await import(pathToFileURL(join(settings.dist, 'backends/webgpu/matrix.js')).href);
  const device = await adapter.requestDevice({
    requiredFeatures: ['shader-f16', 'subgroups', 'chromium-experimental-subgroup-matrix'],
    requiredLimits: { maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize },
  });
  const results = [];
  for (const c of usable) {
    for (const spelling of ['template', 'argument']) {
      const tile = matrixTile({ m: c.M, n: c.N, k: c.K }, subgroup, false, spelling);
      const outcome = tile === undefined ? 'no tile for this shape' : ((await checkMatrixTile(device, tile)) ?? 'passed');
      results.push(`${c.M}x${c.N}x${c.K} (${spelling} spelling): ${outcome}`);
    }
  }
  device.destroy();
  return results.join('; ');
}

function nvidiaSmiGpu(index) {
  const r = spawnSync('nvidia-smi', ['--query-gpu=name,driver_version,power.limit', '--format=csv,noheader', '-i', index], { encoding: 'utf8', timeout: 20_000 });
  if (r.error !== undefined || r.status !== 0) return { error: 'nvidia-smi unavailable' };
  const [name, driver, powerLimit] = r.stdout.trim().split(',').map((x) => x.trim());
  return { name, driver, powerLimit };
}

function packageVersion(name) {
  try {
    return createRequire(import.meta.url)(`${name}/package.json`).version;
  } catch {
    return undefined;
  }
}

function log(line) {
  process.stderr.write(`[node-bench] ${line}\n`);
}

// ---------------------------------------------------------------------------------------------------
// Entry point, last so that every declaration above is initialised.

const childConfig = process.env.JOULE_GPU_BENCH_CHILD;
if (opt.probe) console.log(`${probeMarker}${JSON.stringify(await probeAdapter())}`);
else if (childConfig !== undefined) await runChild(JSON.parse(childConfig));
else await runParent();
process.exit(0); // Dawn and onnxruntime may hold the event loop open
