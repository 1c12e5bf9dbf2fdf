import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CommandRunner,
  declaredPower,
  detectMeter,
  notMeasured,
  nvidiaSmiMeter,
  parseSmiLine,
  probeNvidiaSmi,
  probeRapl,
  spawnCommand,
} from '../../src/bench/meters.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fake /sys/class/powercap: zones by directory name. */
function fakeSysfs(zones: Record<string, { name: string; energy: number; max: number }>): string {
  const root = mkdtempSync(join(tmpdir(), 'joule-rapl-'));
  dirs.push(root);
  for (const [dir, z] of Object.entries(zones)) {
    mkdirSync(join(root, dir));
    writeFileSync(join(root, dir, 'name'), `${z.name}\n`);
    writeFileSync(join(root, dir, 'energy_uj'), `${z.energy}\n`);
    writeFileSync(join(root, dir, 'max_energy_range_uj'), `${z.max}\n`);
  }
  return root;
}

describe('RAPL meter', () => {
  it('sums the package zones over the window, handling the counter wrapping', async () => {
    const root = fakeSysfs({
      'intel-rapl:0': { name: 'package-0', energy: 999_000_000, max: 1_000_000_000 },
      'intel-rapl:0:0': { name: 'dram', energy: 5, max: 1_000_000_000 },
      'intel-rapl:1': { name: 'package-1', energy: 10_000_000, max: 1_000_000_000 },
      'intel-rapl:2': { name: 'psys', energy: 0, max: 1_000_000_000 },
    });
    let now = 1000;
    const choice = probeRapl({ root, now: () => now });
    if (!('meter' in choice)) throw new Error(choice.reason);
    expect(choice.meter.name).toBe('rapl');
    expect(choice.meter.scope).toBe('package-0 + package-1');
    choice.meter.start();
    // package-0 wraps: 1 J to the top, then 2 J more; package-1 spends 7 J.
    writeFileSync(join(root, 'intel-rapl:0', 'energy_uj'), '2000000\n');
    writeFileSync(join(root, 'intel-rapl:1', 'energy_uj'), '17000000\n');
    now += 2000;
    const reading = await choice.meter.stop();
    expect(reading.joules).toBeCloseTo(10);
    expect(reading.averageWatts).toBeCloseTo(5);
  });

  it('is unavailable, with the reason, without powercap or without permission', () => {
    const missing = probeRapl({ root: join(tmpdir(), 'joule-no-such-powercap') });
    expect('reason' in missing && missing.reason).toMatch(/no RAPL powercap interface/);
    const root = fakeSysfs({ 'intel-rapl:0': { name: 'package-0', energy: 1, max: 10 } });
    const denied = probeRapl({
      root,
      read: (file) => {
        if (file.endsWith('energy_uj')) throw Object.assign(new Error(`EACCES: permission denied, open '${file}'`), { code: 'EACCES' });
        return '1';
      },
    });
    expect('reason' in denied && denied.reason).toMatch(/permission denied/);
  });
});

/** A runner that prints canned lines at start, or fails to start. */
function cannedRunner(lines: readonly string[], error?: string): CommandRunner & { calls: string[][] } {
  const calls: string[][] = [];
  const runner = ((command: string, args: readonly string[], onLine: (line: string) => void) => {
    calls.push([command, ...args]);
    if (error === undefined) for (const l of lines) onLine(l);
    return { done: Promise.resolve(error === undefined ? {} : { error }), kill: () => undefined };
  }) as CommandRunner & { calls: string[][] };
  runner.calls = calls;
  return runner;
}

describe('nvidia-smi meter', () => {
  it('parses csv lines, [N/A] as no value', () => {
    expect(parseSmiLine('0, NVIDIA H100 80GB HBM3, 312.45')).toEqual({ index: 0, name: 'NVIDIA H100 80GB HBM3', watts: 312.45 });
    expect(parseSmiLine('1, Tesla T4, [N/A]')).toEqual({ index: 1, name: 'Tesla T4', watts: undefined });
    expect(parseSmiLine('garbage')).toBeUndefined();
  });

  it('averages the GPU samples of the window, skipping [N/A], and counts joules over the window', async () => {
    const run = cannedRunner(['0, NVIDIA H100 80GB HBM3, 100.0', '1, NVIDIA H100 80GB HBM3, 50.0', '0, NVIDIA H100 80GB HBM3, [N/A]', '0, NVIDIA H100 80GB HBM3, 200.0']);
    let now = 0;
    const meter = nvidiaSmiMeter('GPU 0: NVIDIA H100 80GB HBM3', { run, now: () => now });
    meter.start();
    now = 2000;
    expect(await meter.stop()).toEqual({ averageWatts: 150, joules: 300, samples: 2 });
    expect(run.calls[0]).toEqual(['nvidia-smi', '--query-gpu=index,name,power.draw', '--format=csv,noheader,nounits', '-lms', '100']);
  });

  it('fails the window when every sample is [N/A]', async () => {
    const meter = nvidiaSmiMeter('GPU 0', { run: cannedRunner(['0, GPU, [N/A]']) });
    meter.start();
    await expect(meter.stop()).rejects.toThrow(/no power samples/);
  });

  it('probes: a meter, [N/A] power, or a missing binary', async () => {
    const ok = await probeNvidiaSmi({ run: cannedRunner(['0, NVIDIA H100 80GB HBM3, 70.1']) });
    expect('meter' in ok && ok.meter.scope).toBe('GPU 0: NVIDIA H100 80GB HBM3');
    const na = await probeNvidiaSmi({ run: cannedRunner(['0, NVIDIA A10G, [N/A]']) });
    expect('reason' in na && na.reason).toMatch(/\[N\/A\]/);
    const missing = await probeNvidiaSmi({ run: cannedRunner([], 'nvidia-smi was not found') });
    expect('reason' in missing && missing.reason).toBe('nvidia-smi was not found');
  });

  it('says a real missing binary was not found', async () => {
    const { error } = await spawnCommand('joule-no-such-binary-anywhere', [], () => undefined).done;
    expect(error).toBe('joule-no-such-binary-anywhere was not found');
  });
});

describe('power without a meter', () => {
  it('labels a declared wattage as declared', () => {
    expect(declaredPower(100, 50)).toEqual({
      source: 'declared',
      meter: 'declared',
      scope: 'declared by the user (--power-watts)',
      averageWatts: 100,
      joulesPerImage: 2,
      imagesPerSecondPerWatt: 0.5,
      samples: 0,
    });
  });

  it('says why power was not measured, with no numbers', () => {
    expect(notMeasured('no meter')).toEqual({ source: 'not-measured', reason: 'no meter' });
  });

  it('falls back to none with a reason for each kind of backend', async () => {
    const cpu = await detectMeter('cpu', { rapl: { root: join(tmpdir(), 'joule-no-such-powercap') } });
    expect('reason' in cpu && cpu.reason).toMatch(/^no CPU power meter: no RAPL/);
    const gpu = await detectMeter('webgpu', { nvidia: { run: cannedRunner([], 'nvidia-smi was not found') } });
    expect('reason' in gpu && gpu.reason).toBe('no GPU power meter: nvidia-smi was not found');
    const smi = await detectMeter('webgpu', { nvidia: { run: cannedRunner(['0, NVIDIA H100 80GB HBM3, 70']) } });
    expect('meter' in smi && smi.meter.name).toBe('nvidia-smi');
  });
});
