import type { Key } from 'ink';
import { describe, expect, it } from 'vitest';
import { splitKeys } from './keys.js';

const none: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

/** What each key of a chunk is, in order: its input, or the name of its flag. */
const named = (input: string, key: Key = none): string[] =>
  splitKeys(input, key).map(([i, k]) => {
    const flags = Object.entries(k).filter(([, v]) => v === true).map(([name]) => name);
    return [i, ...flags].filter((s) => s !== '').join('+');
  });

describe('splitKeys (issue 10, item 19)', () => {
  it('splits a run of keys read at once into the keys, in order', () => {
    expect(named('kkk')).toEqual(['k', 'k', 'k']);
    expect(named('/bar\r')).toEqual(['/', 'b', 'a', 'r', 'return']);
    expect(named('\u007f\u007f')).toEqual(['delete', 'delete']);
    expect(named('Gq\t\u0003')).toEqual(['G+shift', 'q', 'tab', 'c+ctrl']);
  });

  it('passes a single key and a key Ink recognised through as they are', () => {
    expect(splitKeys('k', none)).toEqual([['k', none]]);
    expect(splitKeys('', { ...none, upArrow: true })).toEqual([['', { ...none, upArrow: true }]]);
    expect(splitKeys('K', { ...none, shift: true })).toEqual([['K', { ...none, shift: true }]]);
  });
});
