// Power meters, sampled only inside a measured window: nvidia-smi for GPUs, Linux RAPL (powercap) for CPU
// packages. Where no meter works the point says so ('not-measured', with the reason): never an estimate.

import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { PowerResult } from './schema.js';

export interface PowerReading {
  readonly averageWatts: number;
  readonly joules: number;
  readonly samples: number;
}

/** A meter covers one measured window at a time: start at the window's start, stop at its end. */
export interface PowerMeter {
  readonly name: string;
  /** What it measures ('GPU 0: NVIDIA H100 80GB HBM3', 'package-0 + package-1'). */
  readonly scope: string;
  start(): void;
  /** Ends the window; rejects with the reason when the meter gave nothing usable. */
  stop(): Promise<PowerReading>;
}

/** A meter, or why there is none. */
export type MeterChoice = { readonly meter: PowerMeter } | { readonly reason: string };

/** Where a point's power comes from: a meter, a wattage the user declared, or nothing (with the reason). */
export type PowerSource =
  | { readonly kind: 'meter'; readonly meter: PowerMeter }
  | { readonly kind: 'declared'; readonly watts: number }
  | { readonly kind: 'none'; readonly reason: string };

/** The point's PowerResult from a meter reading (or a declared wattage) and the window's throughput. */
export function powerResult(
  source: { readonly meter: string; readonly scope?: string; readonly source: 'measured' | 'declared' },
  averageWatts: number,
  imagesPerSecond: number,
  samples: number,
): PowerResult {
  return {
    source: source.source,
    meter: source.meter,
    ...(source.scope !== undefined ? { scope: source.scope } : {}),
    averageWatts,
    ...(imagesPerSecond > 0 ? { joulesPerImage: averageWatts / imagesPerSecond } : {}),
    ...(averageWatts > 0 ? { imagesPerSecondPerWatt: imagesPerSecond / averageWatts } : {}),
    samples,
  };
}

/** The declared power of `--power-watts W`: labelled declared, never measured. */
export function declaredPower(watts: number, imagesPerSecond: number): PowerResult {
  return powerResult({ source: 'declared', meter: 'declared', scope: 'declared by the user (--power-watts)' }, watts, imagesPerSecond, 0);
}

export function notMeasured(reason: string): PowerResult {
  return { source: 'not-measured', reason };
}

// ---------------------------------------------------------------------------------------------------
// nvidia-smi

/** A running child process, as the meter needs it. */
export interface RunningCommand {
  /** Settles when the process has ended: `error` when it could not start (ENOENT) or failed. */
  readonly done: Promise<{ readonly error?: string }>;
  kill(): void;
}

/** Starts commands; injectable so tests feed canned output. */
export type CommandRunner = (command: string, args: readonly string[], onLine: (line: string) => void) => RunningCommand;

/** Runs a real child process, line by line on stdout. */
export const spawnCommand: CommandRunner = (command, args, onLine) => {
  const child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout }).on('line', onLine);
  let killed = false;
  const done = new Promise<{ error?: string }>((resolve) => {
    child.on('error', (e: NodeJS.ErrnoException) =>
      resolve({ error: e.code === 'ENOENT' ? `${command} was not found` : `${command} failed: ${e.message}` }),
    );
    child.on('close', (code) =>
      resolve(code === 0 || killed ? {} : { error: `${command} exited with ${String(code)}${stderr ? `: ${stderr.trim()}` : ''}` }),
    );
  });
  return {
    done,
    kill: () => {
      killed = true;
      child.kill();
    },
  };
};

const smiQuery = ['--query-gpu=index,name,power.draw', '--format=csv,noheader,nounits'];

interface SmiLine {
  readonly index: number;
  readonly name: string;
  /** Undefined where nvidia-smi says '[N/A]' (or anything not a number). */
  readonly watts?: number;
}

/** Parses one line of `--query-gpu=index,name,power.draw --format=csv,noheader,nounits`. */
export function parseSmiLine(line: string): SmiLine | undefined {
  const parts = line.split(',').map((s) => s.trim());
  if (parts.length < 3) return undefined;
  const index = Number(parts[0]);
  if (!Number.isInteger(index)) return undefined;
  const watts = Number(parts[parts.length - 1]);
  return { index, name: parts.slice(1, -1).join(','), watts: parts[parts.length - 1] !== '' && Number.isFinite(watts) ? watts : undefined };
}

export interface NvidiaSmiOptions {
  /** Which GPU (nvidia-smi's index; default 0). */
  readonly gpu?: number;
  /** Sampling period in ms (default 100). */
  readonly periodMs?: number;
  readonly run?: CommandRunner;
  readonly now?: () => number;
}

/** Runs nvidia-smi once: the meter for the GPU, or why there is none (not installed, power.draw [N/A]). */
export async function probeNvidiaSmi(options: NvidiaSmiOptions = {}): Promise<MeterChoice> {
  const run = options.run ?? spawnCommand;
  const gpu = options.gpu ?? 0;
  const lines: SmiLine[] = [];
  const { error } = await run('nvidia-smi', smiQuery, (l) => {
    const parsed = parseSmiLine(l);
    if (parsed !== undefined) lines.push(parsed);
  }).done;
  if (error !== undefined) return { reason: error };
  const line = lines.find((l) => l.index === gpu);
  if (line === undefined) return { reason: `nvidia-smi lists no GPU ${gpu}` };
  if (line.watts === undefined) return { reason: `nvidia-smi reports power.draw of GPU ${gpu} (${line.name}) as [N/A]` };
  return { meter: nvidiaSmiMeter(`GPU ${gpu}: ${line.name}`, options) };
}

/** nvidia-smi sampling power.draw every `periodMs` while the window is open; joules = mean W x window s. */
export function nvidiaSmiMeter(scope: string, options: NvidiaSmiOptions = {}): PowerMeter {
  const run = options.run ?? spawnCommand;
  const now = options.now ?? (() => performance.now());
  const gpu = options.gpu ?? 0;
  let watts: number[] = [];
  let child: RunningCommand | undefined;
  let started = 0;
  return {
    name: 'nvidia-smi',
    scope,
    start() {
      watts = [];
      started = now();
      child = run('nvidia-smi', [...smiQuery, `-lms`, String(options.periodMs ?? 100)], (l) => {
        const parsed = parseSmiLine(l);
        if (parsed?.index === gpu && parsed.watts !== undefined) watts.push(parsed.watts);
      });
    },
    async stop() {
      const seconds = (now() - started) / 1000;
      if (child === undefined) throw new Error('the nvidia-smi meter was not started');
      child.kill();
      const { error } = await child.done;
      child = undefined;
      if (watts.length === 0) throw new Error(error ?? 'nvidia-smi gave no power samples in the window');
      const averageWatts = watts.reduce((a, b) => a + b, 0) / watts.length;
      return { averageWatts, joules: averageWatts * seconds, samples: watts.length };
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// RAPL (Linux powercap)

export interface RaplOptions {
  /** The powercap class directory (default /sys/class/powercap). */
  readonly root?: string;
  readonly now?: () => number;
  /** Reads a sysfs file (default readFileSync); injectable so tests can refuse permission. */
  readonly read?: (file: string) => string;
}

interface RaplZone {
  readonly dir: string;
  readonly name: string;
  readonly maxRange: number;
}

const readText = (file: string): string => readFileSync(file, 'utf8');

function readNumber(read: (file: string) => string, file: string): number {
  const n = Number(read(file).trim());
  if (!Number.isFinite(n)) throw new Error(`${file} does not hold a number`);
  return n;
}

/**
 * The RAPL meter over every top-level zone (intel-rapl:N: the packages; AMD's are named the same on
 * recent kernels), or why there is none. A 'psys' zone covers the platform and would count packages twice.
 */
export function probeRapl(options: RaplOptions = {}): MeterChoice {
  const root = options.root ?? '/sys/class/powercap';
  const read = options.read ?? readText;
  let entries: string[];
  try {
    entries = readdirSync(root).filter((e) => /^intel-rapl:\d+$/.test(e)).sort();
  } catch (e) {
    return { reason: `no RAPL powercap interface (${root}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
  }
  const zones: RaplZone[] = [];
  try {
    for (const entry of entries) {
      const dir = join(root, entry);
      const name = read(join(dir, 'name')).trim();
      if (name === 'psys') continue;
      const maxRange = readNumber(read, join(dir, 'max_energy_range_uj'));
      readNumber(read, join(dir, 'energy_uj'));
      zones.push({ dir, name, maxRange });
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EACCES' ? 'permission denied (energy_uj is readable by root only on most kernels)' : (e as Error).message;
    return { reason: `RAPL is not readable: ${why}` };
  }
  if (zones.length === 0) return { reason: `no RAPL package zones under ${root}` };
  return { meter: raplMeter(zones, options.now ?? (() => performance.now()), read) };
}

function raplMeter(zones: readonly RaplZone[], now: () => number, readFile: (file: string) => string): PowerMeter {
  let startEnergy: number[] = [];
  let started = 0;
  const read = (): number[] => zones.map((z) => readNumber(readFile, join(z.dir, 'energy_uj')));
  return {
    name: 'rapl',
    scope: zones.map((z) => z.name).join(' + '),
    start() {
      startEnergy = read();
      started = now();
    },
    async stop() {
      const end = read();
      const seconds = (now() - started) / 1000;
      // The counter wraps at max_energy_range_uj; a window is far shorter than one wrap.
      let microjoules = 0;
      for (const [i, z] of zones.entries()) {
        const delta = end[i] - startEnergy[i];
        microjoules += delta >= 0 ? delta : delta + z.maxRange;
      }
      if (seconds <= 0) throw new Error('the RAPL window was empty');
      const joules = microjoules / 1e6;
      return { averageWatts: joules / seconds, joules, samples: 2 };
    },
  };
}

// ---------------------------------------------------------------------------------------------------

export interface DetectOptions {
  readonly nvidia?: NvidiaSmiOptions;
  readonly rapl?: RaplOptions;
}

/** The meter for a backend: GPU backends nvidia-smi, CPU backends (and peers) RAPL; otherwise why not. */
export async function detectMeter(backend: string, options: DetectOptions = {}): Promise<MeterChoice> {
  if (backend === 'webgpu') {
    const smi = await probeNvidiaSmi(options.nvidia);
    if ('meter' in smi) return smi;
    return { reason: `no GPU power meter: ${smi.reason}` };
  }
  const rapl = probeRapl(options.rapl);
  if ('meter' in rapl) return rapl;
  return { reason: `no CPU power meter: ${rapl.reason}` };
}
