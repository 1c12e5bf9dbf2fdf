/**
 * Combines the JSON of node-bench.mjs and torch_bench.py into one Markdown table (printed, and written
 * with --md) and one JSON file (--json).
 *
 *   node bench/gpu/report.mjs [--md gpu-bench.md] [--json gpu-bench.json] [--gpu NAME] node.json torch.json
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: opt, positionals: files } = parseArgs({
  allowPositionals: true,
  options: {
    md: { type: 'string' },
    json: { type: 'string' },
    gpu: { type: 'string' }, // the GPU's name as nvidia-smi gives it, when the inputs lack it
    title: { type: 'string', default: 'joule GPU benchmark' },
  },
});

const parts = files.filter((f) => existsSync(f)).map((f) => JSON.parse(readFileSync(f, 'utf8')));
const node = parts.find((p) => p.tool === 'node-bench');
const torch = parts.find((p) => p.tool === 'torch-bench');
const points = parts.flatMap((p) => p.points ?? []);

const gpuName = opt.gpu ?? node?.gpu?.name ?? torch?.gpu ?? 'no NVIDIA GPU found (nvidia-smi unavailable)';
const adapter = node?.adapter;
const adapterText =
  adapter === undefined ? 'not probed' : adapter.error ?? `${adapter.vendor} / ${adapter.architecture} / ${adapter.description}${adapter.shaderF16 ? ' (shader-f16)' : ' (no shader-f16)'}${adapter.matrixCheck === undefined ? '' : `; subgroup matrices: ${adapter.matrixCheck}`}`;
const meterNote = points.find((p) => p.powerField !== undefined)?.powerField;
const quick = node?.settings?.quick ?? torch?.settings?.quick ?? false;

function torchText() {
  if (torch === undefined) return 'not run';
  if (torch.skipped !== undefined) return `not measured: ${torch.skipped}`;
  if (torch.cuda === undefined) return `${torch.torch} on the CPU (a test of the script, not a GPU number)`;
  return `${torch.torch}, CUDA ${torch.cuda}, cuDNN ${torch.cudnn}, eager NCHW${torch.tf32 ? ', TF32 allowed' : ', fp32 without TF32'}`;
}

const fmt = (x, digits) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits));
const sig = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toPrecision(2));

const header = [
  `# ${opt.title}${quick ? ' (quick mode: short windows, small batches; not for comparison)' : ''}`,
  '',
  `- GPU: ${gpuName}${node?.gpu?.driver ? `, driver ${node.gpu.driver}, power limit ${node.gpu.powerLimit}` : ''}`,
  `- WebGPU adapter (Dawn): ${adapterText}`,
  `- Node ${node?.node ?? '—'}, webgpu package ${node?.webgpuPackage ?? '—'}, onnxruntime-node ${node?.onnxruntimeNode ?? '—'}`,
  `- PyTorch: ${torchText()}`,
  `- Power: ${meterNote === undefined ? 'not measured (no nvidia-smi power readings)' : `nvidia-smi ${meterNote}, every 100 ms, averaged over each measured window (whole board)`}`,
  `- Protocol: warm-up excluded; median of the runs in a window of at least ${node?.settings?.minS ?? torch?.settings?.min_s} s and ${node?.settings?.minIters ?? torch?.settings?.min_iters} runs; images/s = batch / median latency`,
  '',
];

const rows = [
  '| runtime | model | precision | batch | images/s | median ms per batch | watts | images/s per watt | notes |',
  '|---|---|---|---:|---:|---:|---:|---:|---|',
];
const joined = (xs) => [...new Set(xs)].join(', ');
// Points of one runtime that failed or were skipped for one reason share a row, where the first stood.
const groupOf = (p) => `${p.runtime}\n${p.status}\n${p.reason}`;
const groups = groupBy(points.filter((p) => p.status !== 'ok'), groupOf);
for (const p of points) {
  if (p.status !== 'ok') {
    const same = groups.get(groupOf(p));
    if (same[0] !== p) continue;
    const reason = String(p.reason ?? '').replace(/\|/g, '/').replace(/\s+/g, ' ');
    const cells = ['model', 'precision', 'batch'].map((k) => joined(same.map((q) => q[k])));
    rows.push(`| ${p.runtime} | ${cells.join(' | ')} | — | — | — | — | ${p.status}: ${reason.length > 140 ? `${reason.slice(0, 140)}…` : reason} |`);
    continue;
  }
  const ips = p.batch / (p.medianMs / 1000);
  p.imagesPerSec = ips;
  p.imagesPerSecPerWatt = p.watts === null || p.watts === undefined ? null : ips / p.watts;
  const notes = [`${p.iterations} run${p.iterations === 1 ? '' : 's'}${p.capped ? ' (capped)' : ''}`];
  if (p.maxDiff !== undefined) notes.push(`max Δp ${p.maxDiff.toExponential(1)} vs ${p.checkedAgainst}`);
  if (p.outputFinite === false) notes.push('output not finite');
  for (const w of p.warnings ?? []) notes.push(w.includes('shader-f16') ? 'f32 storage: the adapter has no shader-f16' : w);
  if (p.watts === null && meterNote !== undefined) notes.push(p.powerNote ?? 'power not measured');
  rows.push(
    `| ${p.runtime} | ${p.model} | ${p.precision} | ${p.batch} | ${sig(ips)} | ${fmt(p.medianMs, 2)} | ${fmt(p.watts, 0)} | ${p.imagesPerSecPerWatt === null ? '—' : sig(p.imagesPerSecPerWatt)} | ${notes.join('; ')} |`,
  );
}
const markdown = `${[...header, ...rows].join('\n')}\n`;
process.stdout.write(markdown);
if (opt.md !== undefined) writeFileSync(opt.md, markdown);
if (opt.json !== undefined) {
  const summary = { gpu: gpuName, adapter, quick, node: node ?? null, torch: torch ?? null, points };
  writeFileSync(opt.json, `${JSON.stringify(summary, null, 1)}\n`);
}

function groupBy(xs, key) {
  const m = new Map();
  for (const x of xs) m.set(key(x), [...(m.get(key(x)) ?? []), x]);
  return m;
}
