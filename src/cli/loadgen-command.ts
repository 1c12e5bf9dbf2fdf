import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { Command } from 'commander';
import { JouleError } from '../core/errors.js';
import { type LoadMode, formatLoadgenReport, loadModes, loadgen, loadgenDefaults, loadgenTarget } from '../serve/loadgen.js';

interface LoadgenFlags {
  readonly mode: LoadMode;
  readonly rate?: number;
  readonly concurrency?: number;
  readonly requests?: number;
  readonly duration?: number;
  readonly body?: string;
  readonly contentType?: string;
  readonly timeoutMs: number;
  readonly json?: boolean;
  readonly allowRemote?: boolean;
  readonly seed: number;
}

const contentTypes: Readonly<Record<string, string>> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.json': 'application/json',
};

function number(flag: string, kind: 'positive' | 'positive integer' | 'integer'): (value: string) => number {
  return (value) => {
    const n = Number(value);
    const ok = value.trim() !== '' && Number.isFinite(n) && (kind === 'positive' ? n > 0 : Number.isInteger(n) && (kind === 'integer' || n > 0));
    if (!ok) throw new JouleError('BAD_ARGUMENT', `${flag} expects a ${kind === 'positive' ? 'positive number' : kind}, got '${value}'`);
    return n;
  };
}

function mode(value: string): LoadMode {
  const m = loadModes.find((name) => name === value);
  if (m === undefined) throw new JouleError('BAD_ARGUMENT', `--mode expects one of ${loadModes.join(', ')}, got '${value}'`);
  return m;
}

/** `joule loadgen <url>`: drives a joule server with open- or closed-loop traffic and reports latency and throughput. */
export function loadgenCommand(): Command {
  return new Command('loadgen')
    .description(`send load to a joule server (POST ${loadgenDefaults.path} of a generated PNG by default) and report throughput, status codes and latency`)
    .argument('<url>', `the server, e.g. http://127.0.0.1:8080 (a URL with no path targets ${loadgenDefaults.path}); loopback only unless --allow-remote`)
    .option('--mode <mode>', `${loadModes.join(', ')}: fixed or exponential inter-arrival times, or N clients back to back`, mode, loadgenDefaults.mode)
    .option('--rate <r>', `offered requests per second of the constant and poisson modes (default ${loadgenDefaults.rate})`, number('--rate', 'positive'))
    .option('--concurrency <c>', `clients of the closed mode (default ${loadgenDefaults.concurrency})`, number('--concurrency', 'positive integer'))
    .option('--requests <n>', 'stop after n requests', number('--requests', 'positive integer'))
    .option('--duration <s>', `stop sending after s seconds (default ${loadgenDefaults.durationS} when --requests is absent)`, number('--duration', 'positive'))
    .option('--body <file>', 'send this file as the request body instead of a generated 256x256 PNG')
    .option('--content-type <type>', "the body's content type (by default from --body's extension: .jpg, .png, .webp, .json)")
    .option('--timeout-ms <ms>', 'per-request timeout, counted as an error', number('--timeout-ms', 'positive'), loadgenDefaults.timeoutMs)
    .option('--seed <n>', 'seed of the poisson arrivals', number('--seed', 'integer'), loadgenDefaults.seed)
    .option('--json', 'print the report as JSON')
    .option('--allow-remote', 'allow a host that is not loopback (127.0.0.0/8, ::1, localhost)')
    .action(async (url: string, flags: LoadgenFlags) => {
      // Checked before the body is read, so that a bad URL is the error the user sees first.
      loadgenTarget(url, flags.allowRemote === true);
      if (flags.contentType !== undefined && flags.body === undefined) throw new JouleError('BAD_ARGUMENT', '--content-type describes --body; pass both');
      let body: Uint8Array | undefined;
      let contentType = flags.contentType;
      if (flags.body !== undefined) {
        const file = flags.body;
        contentType ??= contentTypes[extname(file).toLowerCase()];
        if (contentType === undefined) throw new JouleError('BAD_ARGUMENT', `cannot tell the content type of '${file}' from its name; pass --content-type`);
        body = await readFile(file).catch((e: Error) => {
          throw new JouleError('IO', `cannot read --body file '${file}': ${e.message}`);
        });
      }
      const report = await loadgen({
        url,
        mode: flags.mode,
        rate: flags.rate,
        concurrency: flags.concurrency,
        requests: flags.requests,
        durationS: flags.duration,
        body,
        contentType,
        timeoutMs: flags.timeoutMs,
        allowRemote: flags.allowRemote === true,
        seed: flags.seed,
      });
      console.log(flags.json === true ? JSON.stringify(report, null, 2) : formatLoadgenReport(report));
    });
}
