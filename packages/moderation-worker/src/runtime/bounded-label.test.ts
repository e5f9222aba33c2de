import { describe, expect, it } from 'vitest';
import { boundedLabel, NONE_LABEL, OTHER_LABEL } from './bounded-label.js';

describe('bounded label values', () => {
  it('keeps the first keys seen up to the bound and folds every later one into other', () => {
    const label = boundedLabel(2);
    expect(['a', 'b', 'c', 'a', 'd', 'b'].map(label)).toEqual(['a', 'b', OTHER_LABEL, 'a', OTHER_LABEL, 'b']);
  });

  it('labels a missing key none without spending a place of the bound', () => {
    const label = boundedLabel(1);
    expect([null, 'a', null, 'b'].map(label)).toEqual([NONE_LABEL, 'a', NONE_LABEL, OTHER_LABEL]);
  });

  it('folds values that are not short plain keys, and the reserved words, into other', () => {
    const label = boundedLabel(10);
    for (const odd of ['', 'has space', 'quote"', 'x'.repeat(65), 'none', 'other']) {
      expect(label(odd), odd).toBe(OTHER_LABEL);
    }
    expect(label('fast_precise.v2:a-b')).toBe('fast_precise.v2:a-b');
  });
});
