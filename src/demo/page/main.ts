// The demo page: picks a model, a backend and a precision, decodes a dropped image with the browser,
// resizes and crops it as the model's preprocessing says, and shows what the engine worker answers.

import { resizeAndCrop } from '../../serve/pixels.js';
import type { Preprocessing } from '../../zoo/index.js';
import type { Benched, Classified, EngineReply, EngineRequest, Loaded, ModelChoice, NodeMeasurement, PageBackend, PagePrecision } from './protocol.js';

interface ZooInfo {
  readonly name: string;
  readonly description: string;
  readonly size: number;
}

/** What the page has done, for people debugging it and for its tests. */
interface DemoState {
  loaded?: Loaded & { readonly key: string };
  results: Classified[];
  bench: { browser: Benched; node: NodeMeasurement }[];
  errors: string[];
}
const state: DemoState = { results: [], bench: [], errors: [] };
(window as unknown as { __demo: DemoState }).__demo = state;

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const modelSelect = $<HTMLSelectElement>('model');
const modelFile = $<HTMLInputElement>('model-file');
const inputSize = $<HTMLInputElement>('input-size');
const backendSelect = $<HTMLSelectElement>('backend');
const precisionSelect = $<HTMLSelectElement>('precision');
const imageFile = $<HTMLInputElement>('image-file');
const drop = $<HTMLLabelElement>('drop');
const preview = $<HTMLCanvasElement>('preview');
const benchButton = $<HTMLButtonElement>('bench');
const status = $<HTMLParagraphElement>('status');
const latencies: number[] = [];
/** How long each benchmark point runs at least, here and in Node (?benchMs= shortens it, for tests). */
const benchMs = Math.min(10_000, Math.max(100, Number(new URLSearchParams(location.search).get('benchMs') ?? 2000) || 2000));
let image: ImageBitmap | undefined;

// ---- the engine worker ----

const engine = new Worker(new URL('./engine-worker.js', import.meta.url), { type: 'module', name: 'joule-engine' });
let nextId = 1;
const pending = new Map<number, { resolve: (r: EngineReply) => void }>();
engine.onmessage = (event: MessageEvent<EngineReply>) => {
  pending.get(event.data.id)?.resolve(event.data);
  pending.delete(event.data.id);
};
engine.onerror = (event) => setStatus('error', `the engine worker failed: ${event.message}`);

async function ask<T extends EngineReply['type']>(request: EngineRequest, expect: T, transfer: Transferable[] = []): Promise<Extract<EngineReply, { type: T }>> {
  const id = nextId++;
  const reply = await new Promise<EngineReply>((resolve) => {
    pending.set(id, { resolve });
    engine.postMessage({ ...request, id }, transfer);
  });
  if (reply.type === 'error') throw new Error(reply.message);
  if (reply.type !== expect) throw new Error(`the engine answered '${reply.type}' to '${request.type}'`);
  return reply as Extract<EngineReply, { type: T }>;
}

// ---- model ----

function modelKey(): string {
  const file = modelFile.files?.[0];
  return [modelSelect.value, modelSelect.value === 'file' ? `${file?.name}:${file?.size}:${file?.lastModified}` : inputSize.value, backendSelect.value, precisionSelect.value].join('|');
}

async function modelChoice(): Promise<ModelChoice> {
  if (modelSelect.value !== 'file') {
    const size = Number.parseInt(inputSize.value, 10);
    return { kind: 'zoo', name: modelSelect.value, inputSize: Number.isFinite(size) ? size : undefined };
  }
  const file = modelFile.files?.[0];
  if (file === undefined) throw new Error('choose an ONNX file');
  return { kind: 'file', name: file.name, bytes: await file.arrayBuffer() };
}

async function ensureModel(): Promise<Loaded> {
  const key = modelKey();
  if (state.loaded?.key === key) return state.loaded;
  state.loaded = undefined;
  const model = await modelChoice();
  const label = model.name;
  setStatus('busy', `loading ${label} on ${backendSelect.value} (${precisionSelect.value})…`);
  const loaded = await ask({ type: 'load', model, backend: backendSelect.value as PageBackend, precision: precisionSelect.value as PagePrecision }, 'loaded', model.kind === 'file' ? [model.bytes] : []);
  state.loaded = { ...loaded, key };
  latencies.length = 0;
  const pre = loaded.preprocessing;
  const threads = backendSelect.value === 'cpu' ? `, ${loaded.threads} thread${loaded.threads === 1 ? '' : 's'}` : '';
  $('model-status').textContent =
    `${label}: ${pre.size}x${pre.size} input, loaded and prepared in ${(loaded.ms / 1000).toFixed(1)} s${threads}` +
    (loaded.preprocessingKnown ? '' : ' (no preprocessing metadata: RGB pixels 0..255 assumed)') +
    loaded.warnings.map((w) => `. ${w}`).join('');
  return state.loaded;
}

// ---- image ----

/** The image resized on its shorter side and centre-cropped as the model says, as interleaved RGB bytes. */
function pixelsOf(bitmap: ImageBitmap, pre: Preprocessing): Uint8Array {
  const crop = resizeAndCrop(bitmap.width, bitmap.height, pre);
  const canvas = document.createElement('canvas');
  canvas.width = pre.size;
  canvas.height = pre.size;
  const context = canvas.getContext('2d', { willReadFrequently: true })!;
  context.imageSmoothingQuality = 'high';
  context.drawImage(bitmap, -crop.left, -crop.top, crop.width, crop.height);
  const rgba = context.getImageData(0, 0, pre.size, pre.size).data;
  const rgb = new Uint8Array(pre.size * pre.size * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    rgb[j] = rgba[i];
    rgb[j + 1] = rgba[i + 1];
    rgb[j + 2] = rgba[i + 2];
  }
  preview.hidden = false;
  $('drop-text').hidden = true;
  preview.getContext('2d')!.drawImage(canvas, 0, 0, preview.width, preview.height);
  $('crop-note').textContent = `${bitmap.width}x${bitmap.height}, resized to ${crop.width}x${crop.height}, centre ${pre.size}x${pre.size} cropped`;
  return rgb;
}

async function classify(): Promise<void> {
  if (image === undefined) return;
  try {
    const loaded = await ensureModel();
    setStatus('busy', 'classifying…');
    const pixels = pixelsOf(image, loaded.preprocessing);
    const result = await ask({ type: 'classify', pixels, top: 5 }, 'classified', [pixels.buffer]);
    state.results.push(result);
    showResult(result);
    setStatus('done', `classified in ${result.ms.toFixed(1)} ms`);
  } catch (e) {
    fail(e);
  }
}

function showResult(result: Classified): void {
  const list = $('results');
  list.replaceChildren(
    ...result.predictions.map((p) => {
      const li = document.createElement('li');
      const label = document.createElement('span');
      label.textContent = `${p.label} (#${p.index})`;
      const probability = document.createElement('span');
      probability.className = 'p';
      probability.textContent = `${(100 * p.probability).toFixed(2)}%`;
      const bar = document.createElement('div');
      bar.className = 'bar';
      const fill = document.createElement('span');
      fill.style.width = `${Math.max(0.5, 100 * p.probability)}%`;
      bar.append(fill);
      li.append(label, probability, bar);
      return li;
    }),
  );
  latencies.push(result.ms);
  if (latencies.length > 40) latencies.shift();
  $('latency').textContent = `this run ${result.ms.toFixed(1)} ms${result.softmaxApplied ? ' (softmax of the model\'s scores)' : ''}`;
  drawChart();
}

/** An inline SVG sparkline of the recent latencies, scaled from 0 to the largest. */
function drawChart(): void {
  const svg = $('chart') as unknown as SVGSVGElement;
  const ns = 'http://www.w3.org/2000/svg';
  const max = Math.max(...latencies) * 1.1 || 1;
  const x = (i: number): number => (latencies.length === 1 ? 150 : 4 + (i * 292) / (latencies.length - 1));
  const y = (ms: number): number => 76 - (ms / max) * 72;
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('points', latencies.map((ms, i) => `${x(i).toFixed(1)},${y(ms).toFixed(1)}`).join(' '));
  const dot = document.createElementNS(ns, 'circle');
  dot.setAttribute('cx', x(latencies.length - 1).toFixed(1));
  dot.setAttribute('cy', y(latencies[latencies.length - 1]).toFixed(1));
  dot.setAttribute('r', '3');
  svg.replaceChildren(line, dot);
  const sorted = [...latencies].sort((a, b) => a - b);
  $('chart-caption').textContent =
    `latency of the last ${latencies.length} run(s): min ${sorted[0].toFixed(1)} ms, median ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms`;
}

async function useImage(file: File | undefined): Promise<void> {
  if (file === undefined) return;
  try {
    image = await createImageBitmap(file);
  } catch {
    fail(new Error(`'${file.name}' is not an image this browser can decode`));
    return;
  }
  await classify();
}

// ---- benchmark ----

async function benchmark(): Promise<void> {
  benchButton.disabled = true;
  const rows = $('bench-table').querySelector('tbody')!;
  rows.replaceChildren();
  try {
    await ensureModel();
    for (const batch of [1, 8]) {
      setStatus('busy', `benchmark: batch ${batch} in the browser…`);
      const browser = await ask({ type: 'bench', batch, minMs: benchMs }, 'benched');
      const row = rows.insertRow();
      for (const text of [String(batch), browser.imagesPerSecond.toFixed(1), browser.meanMs.toFixed(1), 'measuring…', '']) row.insertCell().textContent = text;
      setStatus('busy', `benchmark: batch ${batch} in Node…`);
      const node = await measureInNode(batch);
      row.cells[3].textContent = 'notMeasured' in node ? `not measured: ${node.notMeasured}` : node.imagesPerSecond.toFixed(1);
      row.cells[4].textContent = 'notMeasured' in node ? '' : node.meanMs.toFixed(1);
      state.bench.push({ browser, node });
    }
    setStatus('done', 'benchmark done');
  } catch (e) {
    fail(e);
  } finally {
    benchButton.disabled = false;
  }
}

async function measureInNode(batch: number): Promise<NodeMeasurement> {
  const query = new URLSearchParams({ backend: backendSelect.value, precision: precisionSelect.value, batch: String(batch), minMs: String(benchMs) });
  let body: Blob | undefined;
  if (modelSelect.value === 'file') {
    body = modelFile.files?.[0];
  } else {
    query.set('model', modelSelect.value);
    if (inputSize.value !== '') query.set('inputSize', inputSize.value);
  }
  try {
    const response = await fetch(`/api/measure?${query}`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
    return (await response.json()) as NodeMeasurement;
  } catch (e) {
    return { notMeasured: `the demo server did not answer (${(e as Error).message})` };
  }
}

// ---- page ----

function setStatus(kind: 'idle' | 'busy' | 'done' | 'error', text: string): void {
  status.dataset.state = kind;
  status.textContent = text;
}

function fail(e: unknown): void {
  const message = e instanceof Error ? e.message : String(e);
  state.errors.push(message);
  setStatus('error', message);
}

async function describeEnvironment(): Promise<void> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  let webgpu = 'WebGPU: not available in this browser';
  if (gpu !== undefined) {
    const adapter = await gpu.requestAdapter().catch(() => null);
    webgpu = adapter === null ? 'WebGPU: no adapter' : `WebGPU: ${[adapter.info.vendor, adapter.info.architecture].filter(Boolean).join(' ') || 'available'}`;
    if (adapter === null) backendSelect.querySelector('option[value="webgpu"]')!.textContent = 'webgpu (no adapter)';
  }
  const threads = crossOriginIsolated ? `cross-origin isolated: cpu backend on ${navigator.hardwareConcurrency} threads` : 'not cross-origin isolated: cpu backend on one thread';
  $('environment').textContent = `${threads} · ${webgpu}`;
}

async function start(): Promise<void> {
  const info = (await (await fetch('/api/info')).json()) as { zoo: ZooInfo[] };
  for (const z of info.zoo) modelSelect.add(new Option(`${z.name} (${z.size}x${z.size})`, z.name));
  modelSelect.add(new Option('an ONNX file…', 'file'));
  modelSelect.title = info.zoo[0]?.description ?? '';
  const reload = (): void => {
    $('model-file-label').hidden = modelSelect.value !== 'file';
    $('input-size-label').hidden = modelSelect.value === 'file';
    const zoo = info.zoo.find((z) => z.name === modelSelect.value);
    if (zoo !== undefined) {
      modelSelect.title = zoo.description;
      inputSize.placeholder = `native (${zoo.size})`;
    }
    void classify();
  };
  for (const control of [modelSelect, modelFile, inputSize, backendSelect, precisionSelect]) control.addEventListener('change', reload);
  reload();
  imageFile.addEventListener('change', () => void useImage(imageFile.files?.[0]));
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    void useImage(e.dataTransfer?.files[0]);
  });
  benchButton.addEventListener('click', () => void benchmark());
  await describeEnvironment();
  setStatus('idle', 'choose or drop an image');
}

void start().catch(fail);
