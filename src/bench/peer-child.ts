// The child process of peer-process.ts: loads a peer runtime (onnxruntime-web), holds one session and
// its feeds, and runs it when asked. It exits when its parent goes away.

import type { PeerReply, PeerRequest } from './peer-process.js';
import type { OrtModule as Module, OrtSession as Session, OrtTensor as Tensor } from './runtimes.js';

let ort: Module | undefined;
let session: Session | undefined;
/** Feeds by the id the parent gave them (one per prepared batch size). */
const feeds = new Map<number, Record<string, Tensor>>();

async function handle(message: PeerRequest): Promise<PeerReply> {
  switch (message.type) {
    case 'load': {
      const specifier = message.module;
      const mod = (await import(specifier)) as Module & { default?: Module };
      ort = mod.InferenceSession !== undefined ? mod : mod.default!;
      // Must be set before the first session.
      if (ort.env !== undefined) ort.env.wasm.numThreads = message.threads;
      session = await ort.InferenceSession.create(message.bytes, message.options);
      return { ok: true, inputNames: session.inputNames };
    }
    case 'feeds':
      feeds.set(message.id, Object.fromEntries(message.feeds.map((f) => [f.name, new ort!.Tensor('float32', f.data, f.dims)])));
      return { ok: true };
    case 'run':
      await session!.run(feeds.get(message.id)!);
      return { ok: true };
    case 'release':
      await session?.release();
      session = undefined;
      setImmediate(() => process.exit(0));
      return { ok: true };
  }
}

process.on('message', (message: PeerRequest) => {
  handle(message).then(
    (reply) => process.send!(reply),
    (e: unknown) => process.send!({ ok: false, error: e instanceof Error ? e.message : String(e), code: (e as { code?: string }).code } satisfies PeerReply),
  );
});
process.on('disconnect', () => process.exit(0));
