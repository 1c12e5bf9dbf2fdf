// The browser build's entry point (dist/browser/joule.js): the library as in Node, with host-browser.ts in
// place of host.ts, and the helpers a page needs to turn decoded pixels into a model's input.

export * from '../index.js';
export { imagenetLabels, preprocessingOf, type Preprocessing } from '../zoo/index.js';
export { ImageError, pixelsToTensor, resizeAndCrop } from '../serve/pixels.js';
export { asProbabilities, topIndices, topK } from '../runtime/top-k.js';
export { hostName, availableParallelism, canShareMemory } from '../platform/host.js';
