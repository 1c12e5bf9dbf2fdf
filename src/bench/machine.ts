import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, availableParallelism, cpus, release, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';
import type { MachineInfo } from './schema.js';

const require = createRequire(import.meta.url);

/**
 * A package's version from its package.json, found along Node's resolution paths (peers' `exports`
 * hide './package.json' from require), or 'not installed'.
 */
export function packageVersion(name: string): string {
  for (const dir of require.resolve.paths(name) ?? []) {
    const file = join(dir, name, 'package.json');
    if (!existsSync(file)) continue;
    try {
      return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? 'unknown';
    } catch {
      return 'unknown';
    }
  }
  return 'not installed';
}

/** joule's own version: src/bench and dist/bench both sit two levels below package.json. */
export function jouleVersion(): string {
  try {
    return (require('../../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The machine a report was measured on; `gpu` is the WebGPU adapter where the webgpu backend ran. */
export function machineInfo(gpu?: string): MachineInfo {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown';
  return {
    cpuModel: cpu,
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${osType()} ${release()} ${arch()}`,
    node: process.version,
    v8: process.versions.v8,
    ...(gpu !== undefined ? { gpu } : {}),
    versions: {
      joule: jouleVersion(),
      'onnxruntime-node': packageVersion('onnxruntime-node'),
      'onnxruntime-web': packageVersion('onnxruntime-web'),
      webgpu: packageVersion('webgpu'),
    },
  };
}
