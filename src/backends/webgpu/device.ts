import { JouleError } from '../../core/errors.js';
import { type MatrixTile, checkMatrixTile, matrixTile } from './matrix.js';

/** Which adapter to ask for when a machine has several. */
export type PowerPreference = 'high-performance' | 'low-power';

/** A device with what joule needs to know about it. */
export interface GpuContext {
  readonly device: GPUDevice;
  /** The adapter's vendor, architecture and description, for reports. */
  readonly adapter: string;
  /** Whether shaders may use f16 (the adapter has `shader-f16`). */
  readonly f16: boolean;
  readonly maxBinding: number;
  /** A software adapter (lavapipe, SwiftShader): timing its kernels to choose among them is not worth it. */
  readonly software: boolean;
  /** Convolution tiles for the device's matrix units (f16 storage), once their kernel passed its check. */
  readonly matrixTiles: readonly MatrixTile[];
  /** What became of the device's subgroup matrices, where it has any. */
  readonly matrixNote?: string;
  /** Set once the device is lost; every later use fails with this reason. */
  lost?: string;
  /** Set when joule destroyed the device itself (its loss is then no error). */
  released?: boolean;
  /** A device the caller gave (SessionOptions.gpuDevice): joule never destroys it, and cannot replace it. */
  readonly foreign?: boolean;
}

const devices = new Map<string, Promise<GpuContext>>();
/**
 * Dawn's instance lives only as long as the object `create` returned is referenced: dropped, it is
 * collected with work in flight and the process crashes. Held, it keeps the process alive. So it is
 * held while any prepared graph uses a device, and let go (devices destroyed) when the last is disposed.
 */
let dawnInstance: GPU | undefined;
/**
 * The instance let go last, until it is collected: a session that starts meanwhile takes it back rather
 * than creating a second instance, because collecting one instance while another runs crashed the
 * process ("The futex facility returned an unexpected error code") when sessions came and went.
 */
let retiredInstance: WeakRef<GPU> | undefined;
let users = 0;

/**
 * The shared device for a power preference, created on first use: navigator.gpu in browsers, the
 * `webgpu` package (Dawn) in Node. Its limits are raised to the adapter's, so that large weights bind.
 */
export function acquireGpu(powerPreference: PowerPreference = 'high-performance'): Promise<GpuContext> {
  users++;
  let pending = devices.get(powerPreference);
  if (pending === undefined) {
    pending = openDevice(powerPreference);
    devices.set(powerPreference, pending);
    // A failed attempt is not cached: the next session asks again.
    pending.catch(() => devices.delete(powerPreference));
  }
  return pending.catch((e: unknown) => {
    users--;
    throw e;
  });
}

/** Says that one user of `acquireGpu` is done; the last one destroys the devices and lets Dawn go. */
export async function releaseGpu(): Promise<void> {
  if (--users > 0) return;
  const open = [...devices.values()];
  devices.clear();
  for (const pending of open) {
    const context = await pending.catch(() => undefined);
    if (context === undefined) continue;
    context.released = true;
    context.device.destroy();
    // Dawn is let go only once the device has said it is gone.
    await context.device.lost;
  }
  dawnInstance = undefined;
}

const noAdapter =
  'no WebGPU adapter was found. In Node joule uses the `webgpu` package (Dawn), which needs a Vulkan driver: ' +
  'a GPU driver, or Mesa 25 or newer (lavapipe, a software driver: on Debian bookworm, `apt-get install -t bookworm-backports mesa-vulkan-drivers`). ' +
  'In a browser, WebGPU must be enabled (Chromium: --enable-unsafe-webgpu where it is not on by default)';

async function gpuEntryPoint(): Promise<GPU> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu !== undefined) return nav.gpu;
  if (typeof process === 'undefined' || process.versions?.node === undefined) throw new JouleError('BACKEND_UNAVAILABLE', noAdapter);
  // Kept out of static imports so that browser bundles never see it.
  const dawnPackage = 'webgpu';
  let dawn: { create(flags: string[]): GPU; globals: object };
  try {
    dawn = (await import(dawnPackage)) as typeof dawn;
  } catch (e) {
    throw new JouleError('BACKEND_UNAVAILABLE', `the webgpu package (Dawn for Node) could not be loaded: ${(e as Error).message}`);
  }
  // Dawn's classes (GPUBufferUsage and the rest) are what WebGPU code expects to find as globals.
  for (const [name, value] of Object.entries(dawn.globals)) {
    if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  }
  // Dawn hides `shader-f16` on NVIDIA's Vulkan driver unless asked (crbug.com/42251215: f16 conformance
  // failures). joule's f16 kernels only load, store and convert f16 and accumulate in f32, and the GPU
  // benchmark checks their output against fp32, so joule asks. Subgroup matrices (the matrix units) are
  // behind `allow_unsafe_apis`; joule uses them only after checking their results on the device.
  dawnInstance ??= retiredInstance?.deref() ?? dawn.create(['enable-dawn-features=allow_unsafe_apis,vulkan_enable_f16_on_nvidia']);
  retiredInstance = new WeakRef(dawnInstance);
  return dawnInstance;
}

async function openDevice(powerPreference: PowerPreference): Promise<GpuContext> {
  const gpu = await gpuEntryPoint();
  const adapter = await gpu.requestAdapter({ powerPreference });
  if (adapter === null) throw new JouleError('BACKEND_UNAVAILABLE', noAdapter);
  const f16 = adapter.features.has('shader-f16');
  const limits = adapter.limits;
  const info = adapter.info;
  const features = (['shader-f16', 'timestamp-query'] as const).filter((f) => adapter.features.has(f));
  const matrix = f16 ? matrixTileOf(adapter.features, info) : undefined;
  const request = (more: readonly string[]): Promise<GPUDevice> => adapter.requestDevice({
    requiredFeatures: [...features, ...more] as GPUFeatureName[],
    requiredLimits: {
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
      maxStorageBuffersPerShaderStage: Math.min(limits.maxStorageBuffersPerShaderStage, 10),
    },
  });
  let device: GPUDevice | undefined;
  let matrixNote: string | undefined;
  if (matrix !== undefined) {
    device = await request(['subgroups', 'chromium-experimental-subgroup-matrix']).catch((e: Error) => {
      matrixNote = `subgroup matrices are not used: the device refused them (${e.message})`;
      return undefined;
    });
  }
  device ??= await request([]);
  const context: GpuContext = { ...describeDevice(device, info), f16, ...(matrixNote !== undefined ? { matrixTiles: [], matrixNote } : await checkedMatrix(device, matrix)) };
  void device.lost.then((why) => {
    if (context.released === true) return;
    context.lost = `the WebGPU device was lost (${why.reason}): ${why.message}`;
    // The next session opens a fresh device.
    void devices.get(powerPreference)?.then((current) => current === context && devices.delete(powerPreference));
  });
  return context;
}

const foreignContexts = new WeakMap<GPUDevice, Promise<GpuContext>>();

/**
 * The context for a device the caller opened (on the page's navigator.gpu, or through the `webgpu`
 * package): what it was created with is what joule gets (f16 where it has `shader-f16`, its limits).
 */
export function foreignGpu(device: GPUDevice): Promise<GpuContext> {
  let pending = foreignContexts.get(device);
  if (pending === undefined) {
    pending = (async () => {
      const info = device.adapterInfo as GpuInfo | undefined;
      const matrix = info !== undefined && device.features.has('shader-f16') ? matrixTileOf(device.features, info) : undefined;
      const context: GpuContext = { ...describeDevice(device, info), f16: device.features.has('shader-f16'), foreign: true, ...(await checkedMatrix(device, matrix)) };
      void device.lost.then((why) => {
        context.lost = `the WebGPU device was lost (${why.reason}): ${why.message}`;
      });
      return context;
    })();
    foreignContexts.set(device, pending);
  }
  return pending;
}

type GpuInfo = GPUAdapterInfo & {
  subgroupMatrixConfigs?: readonly { componentType: string; resultComponentType: string; M: number; N: number; K: number }[];
  subgroupMinSize?: number;
  subgroupMaxSize?: number;
};

/** What a context says of its device: the adapter for reports, the largest binding, whether it is software. */
function describeDevice(device: GPUDevice, info: GPUAdapterInfo | undefined): Pick<GpuContext, 'device' | 'adapter' | 'maxBinding' | 'software'> {
  const text = info === undefined ? '' : [info.vendor, info.architecture, info.description].filter((s) => s !== '').join(' / ');
  return {
    device,
    adapter: text || 'unknown adapter',
    maxBinding: Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize),
    // Chromium's SwiftShader says so in its architecture (vendor 'google', architecture 'swiftshader').
    software: info !== undefined && (info.architecture === 'software' || /llvmpipe|lavapipe|swiftshader/i.test(`${info.architecture} ${info.description} ${info.device}`)),
  };
}

/** The matrix tile once its kernel passed the check on `device`, in Dawn's current spelling of the built-ins or the first releases'. */
async function checkedMatrix(device: GPUDevice, matrix: MatrixTile | undefined): Promise<Pick<GpuContext, 'matrixTiles' | 'matrixNote'>> {
  if (matrix === undefined) return { matrixTiles: [] };
  const shape = `${matrix.mma.m}x${matrix.mma.n}x${matrix.mma.k}`;
  const failures: string[] = [];
  for (const spelling of ['template', 'argument'] as const) {
    const tile = { ...matrix, spelling };
    const failure = await checkMatrixTile(device, tile);
    if (failure === undefined) return { matrixTiles: [tile], matrixNote: `subgroup matrices ${shape}` };
    failures.push(`${spelling} spelling: ${failure}`);
  }
  return { matrixTiles: [], matrixNote: `subgroup matrices (${shape}) are not used: ${failures.join('; ')}` };
}

/**
 * The convolution tile for an adapter's subgroup matrices with f16 operands and f32 results (a square
 * shape where there is one), or undefined where it has none or its subgroup size varies.
 */
function matrixTileOf(features: ReadonlySet<string>, info: GpuInfo): MatrixTile | undefined {
  if (!features.has('chromium-experimental-subgroup-matrix') || !features.has('subgroups')) return undefined;
  if (info.subgroupMinSize === undefined || info.subgroupMinSize !== info.subgroupMaxSize) return undefined;
  const configs = (info.subgroupMatrixConfigs ?? []).filter((c) => c.componentType === 'f16' && c.resultComponentType === 'f32');
  const ordered = [...configs.filter((c) => c.M === c.N && c.N === c.K), ...configs];
  for (const c of ordered) {
    const tile = matrixTile({ m: c.M, n: c.N, k: c.K }, info.subgroupMinSize);
    if (tile !== undefined) return tile;
  }
  return undefined;
}

/** Throws the device's loss as a JouleError, if it was lost. */
export function checkDevice(context: GpuContext): void {
  if (context.lost !== undefined) throw new JouleError('BACKEND_UNAVAILABLE', context.lost);
}
