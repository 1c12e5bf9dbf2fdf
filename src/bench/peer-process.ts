// A peer runtime in a child process of its own. In the measuring process, onnxruntime-web's runs slowed
// whatever ran right after them (onnxruntime-node on CaffeNet at batch 1, 15.0 -> 23.4 ms), and its
// WebAssembly memory and threads stay for the process's life. Here the child loads the peer and runs its
// sessions on request; the parent times each run as it times any other runtime's, the round trip over
// the IPC channel (tens of microseconds) included.

import { type ChildProcess, fork } from 'node:child_process';

/** What the parent asks. */
export type PeerRequest =
  | { readonly type: 'load'; readonly module: string; readonly bytes: Uint8Array; readonly threads: number; readonly options: Record<string, unknown> }
  | { readonly type: 'feeds'; readonly id: number; readonly feeds: readonly { readonly name: string; readonly data: Float32Array; readonly dims: readonly number[] }[] }
  | { readonly type: 'run'; readonly id: number }
  | { readonly type: 'release' };

/** What the child answers: `inputNames` after a load, nothing else but success, or the error (and its code). */
export type PeerReply =
  | { readonly ok: true; readonly inputNames?: readonly string[] }
  | { readonly ok: false; readonly error: string; readonly code?: string };

/** A failed request: the child's error message, and its code where it had one (ERR_MODULE_NOT_FOUND). */
export class PeerError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

/** A session of a peer in its child process. */
export class PeerProcess {
  private pending: Promise<unknown> = Promise.resolve();
  private exited = false;

  private constructor(private readonly child: ChildProcess, private readonly stderr: () => string) {
    child.on('exit', () => (this.exited = true));
  }

  /** Starts the child; the first request is the load. */
  static start(): PeerProcess {
    const here = import.meta.url;
    const entry = new URL(here.endsWith('.ts') ? './peer-child.ts' : './peer-child.js', here);
    // From source (tests, scripts run by tsx) the child needs tsx's loader; the built files do not.
    const execArgv = here.endsWith('.ts') && !process.execArgv.some((a) => a.includes('tsx')) ? ['--import', 'tsx'] : process.execArgv;
    const child = fork(entry, [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    return new PeerProcess(child, () => stderr);
  }

  /** Sends a request and waits for its reply; requests are answered in order, one at a time. */
  request(message: PeerRequest): Promise<PeerReply & { ok: true }> {
    const next = this.pending.then(
      () =>
        new Promise<PeerReply & { ok: true }>((resolve, reject) => {
          if (this.exited) {
            reject(new Error(`the peer's process has exited${this.stderr() === '' ? '' : `: ${this.stderr().trim()}`}`));
            return;
          }
          const onExit = (code: number | null): void => {
            this.child.off('message', onMessage);
            reject(new Error(`the peer's process exited (${code ?? 'signal'})${this.stderr() === '' ? '' : `: ${this.stderr().trim()}`}`));
          };
          const onMessage = (reply: PeerReply): void => {
            this.child.off('exit', onExit);
            if (reply.ok) resolve(reply);
            else reject(new PeerError(reply.error, reply.code));
          };
          this.child.once('message', onMessage);
          this.child.once('exit', onExit);
          this.child.send(message);
        }),
    );
    this.pending = next.catch(() => undefined);
    return next;
  }

  /** Releases the session and ends the child. */
  async close(): Promise<void> {
    if (!this.exited) await this.request({ type: 'release' }).catch(() => undefined);
    if (!this.exited) this.child.kill();
  }
}
