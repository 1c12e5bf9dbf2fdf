/** The checked-in kernel binaries are what the AssemblyScript source compiles to, byte for byte. */
import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { generateKernelsModule, generatedPath } from '../../../scripts/build-wasm.js';

it('rebuilding the kernels reproduces kernels.generated.ts', async () => {
  expect(await generateKernelsModule()).toBe(await readFile(generatedPath, 'utf8'));
});
