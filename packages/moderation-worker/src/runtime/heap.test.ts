import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_PERCENT, limitHeapGrowth } from './heap.js';

describe('limitHeapGrowth', () => {
  it('sets the worker heap growing factor when the command line chose none', () => {
    expect(limitHeapGrowth(['--enable-source-maps'])).toBe(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  });

  it("leaves an operator's own setting alone, in either spelling", () => {
    expect(limitHeapGrowth(['--heap-growing-percent=80'])).toBeNull();
    expect(limitHeapGrowth(['--heap_growing_percent=0'])).toBeNull();
  });
});
