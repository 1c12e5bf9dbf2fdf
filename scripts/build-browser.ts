/**
 * The browser build, with esbuild: the library as one ES module (dist/browser/joule.js) and the demo page
 * (dist/browser/demo/). src/platform/host.ts, joule's only door to Node (files, worker_threads, V8 flags),
 * is replaced by host-browser.ts; any other Node module reaching the bundle fails the build.
 *
 *   npm run build:browser            (part of npm run build)
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Plugin, build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const pageDir = join(root, 'src/demo/page');

/** host.ts -> host-browser.ts, wherever it is imported from. */
const browserHost: Plugin = {
  name: 'joule-browser-host',
  setup(b) {
    b.onResolve({ filter: /(^|\/)platform\/host\.js$/ }, (args) => ({ path: resolve(args.resolveDir, args.path.replace(/host\.js$/, 'host-browser.ts')) }));
  },
};

/** Packages and modules that must never reach a browser bundle (Node's own are refused by esbuild's platform). */
const nodeOnly = /(^|\/)node_modules\/(sharp|fastify|@fastify|onnxruntime-node|onnxruntime-web|webgpu|prom-client|commander)\/|\/src\/(serve\/(server|image|instances|instance-worker)|bench|cli\/main|demo\/server|platform\/host)\.ts$/;

const guard: Plugin = {
  name: 'joule-browser-guard',
  setup(b) {
    b.onLoad({ filter: /.*/ }, (args) => {
      if (nodeOnly.test(args.path)) return { errors: [{ text: `Node-only module in the browser bundle: ${args.path}` }] };
      return undefined;
    });
  },
};

/** The demo page's worker imports the shipped bundle (../joule.js) rather than a second copy of the library. */
const libraryAsBundle: Plugin = {
  name: 'joule-library-as-bundle',
  setup(b) {
    b.onResolve({ filter: /\/browser\/index\.js$/ }, () => ({ path: '../joule.js', external: true }));
  },
};

const common = { bundle: true, format: 'esm', platform: 'browser', target: 'es2022', sourcemap: true, logLevel: 'warning', legalComments: 'none' } as const;

/** Writes the browser build into `outDir` (default dist/browser). */
export async function buildBrowser(outDir = join(root, 'dist/browser')): Promise<void> {
  await build({ ...common, entryPoints: [join(root, 'src/browser/index.ts')], outfile: join(outDir, 'joule.js'), plugins: [browserHost, guard] });
  await build({
    ...common,
    entryPoints: [join(pageDir, 'main.ts'), join(pageDir, 'engine-worker.ts')],
    outdir: join(outDir, 'demo'),
    plugins: [libraryAsBundle, browserHost, guard],
  });
  for (const file of ['index.html', 'style.css']) {
    await mkdir(join(outDir, 'demo'), { recursive: true });
    await copyFile(join(pageDir, file), join(outDir, 'demo', file));
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = process.argv[2] ?? join(root, 'dist/browser');
  await buildBrowser(outDir);
  console.log(`browser build written to ${dirname(join(outDir, 'joule.js'))}`);
}
