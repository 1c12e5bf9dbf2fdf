import { JouleError } from '../core/errors.js';
import { readFile } from '../platform/host.js';

/** Reads a file whole, failing with an IO JouleError that names what the file is and its path. */
export async function readOrFail(path: string, what: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new JouleError('IO', `cannot read ${what} '${path}': ${e instanceof Error ? e.message : String(e)}`);
  }
}
