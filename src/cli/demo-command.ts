import { Command } from 'commander';
import { DemoServer } from '../demo/server.js';
import { nonNegativeInt } from './arguments.js';

interface DemoFlags {
  readonly port: number;
  readonly host: string;
  readonly isolation: boolean;
  readonly assets?: string;
}

/**
 * `joule demo`: the browser page that classifies images with the cpu (wasm) and webgpu backends.
 * `started` receives the running server (tests close it).
 */
export function demoCommand(started?: (server: DemoServer) => void): Command {
  return new Command('demo')
    .description('serve a page that classifies images in the browser (cpu: WebAssembly SIMD threads, or webgpu) and benchmarks it beside Node')
    .option('--port <port>', 'TCP port (0 picks a free one)', nonNegativeInt, 8081)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--assets <dir>', 'the browser build to serve (default: the one this package ships, dist/browser)')
    .option('--no-isolation', 'leave out COOP/COEP: the page is not cross-origin isolated and the cpu backend runs on one thread')
    .action(async (flags: DemoFlags) => {
      const server = await DemoServer.start({ port: flags.port, host: flags.host, isolated: flags.isolation, assetsDir: flags.assets });
      console.log(`joule demo: open ${server.url} in a browser (files from ${server.assetsDir}); Ctrl-C stops it`);
      if (!flags.isolation) console.log('joule demo: not cross-origin isolated (--no-isolation): the cpu backend runs on one thread');
      if (started !== undefined) return started(server);
      const stop = (): void => {
        void server.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
