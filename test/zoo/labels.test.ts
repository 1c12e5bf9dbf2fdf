import { describe, expect, it } from 'vitest';
import { imagenetLabels, zoo } from '../../src/zoo/index.js';

describe('ImageNet labels', () => {
  it('are the 1000 ILSVRC-2012 classes in class-index order', () => {
    expect(imagenetLabels).toHaveLength(1000);
    expect(imagenetLabels[0]).toBe('tench, Tinca tinca');
    expect(imagenetLabels[1]).toBe('goldfish, Carassius auratus');
    expect(imagenetLabels[281]).toBe('tabby, tabby cat');
    expect(imagenetLabels[999]).toBe('toilet tissue, toilet paper, bathroom tissue');
    for (const label of imagenetLabels) expect(label).toMatch(/^\S(.*\S)?$/);
  });

  it('are unique but for the two synsets named "crane" (134, the bird; 517, the machine)', () => {
    const seen = new Map<string, number[]>();
    imagenetLabels.forEach((label, i) => seen.set(label, [...(seen.get(label) ?? []), i]));
    const repeated = [...seen].filter(([, at]) => at.length > 1);
    expect(repeated).toEqual([['crane', [134, 517]]]);
    expect(seen.size).toBe(999);
  });

  it('are shared by every network of the zoo and cannot be modified', () => {
    for (const entry of Object.values(zoo)) expect(entry.labels).toBe(imagenetLabels);
    expect(Object.isFrozen(imagenetLabels)).toBe(true);
  });
});
