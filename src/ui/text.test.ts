import { describe, expect, it } from 'vitest';
import { wrapText } from './lines.js';
import { windowStart } from './requests-view.js';
import { fit, formatDuration, pathOf, truncate, truncateId, visible } from './text.js';

describe('text', () => {
  it('cuts and pads to a width', () => {
    expect(fit('abc', 5)).toBe('abc  ');
    expect(fit('abcdef', 4)).toBe('abc…');
    expect(fit('7', 3, 'right')).toBe('  7');
    expect(truncate('abc', 0)).toBe('');
  });

  it('keeps the rule and path of a cut route id', () => {
    expect(truncateId('ingress:default/simple-fanout-example#r0.p1', 24)).toBe('ingress:default/s…#r0.p1');
    expect(truncateId('ingress:default/web#r0.p1', 30)).toBe('ingress:default/web#r0.p1');
  });

  it('never lets a control character through', () => {
    expect(visible('a\u001b[2Jb\tc\u0007')).toBe('a\uFFFD[2Jb c\uFFFD');
  });

  it('shows the path of a proxy-form request target', () => {
    expect(pathOf('http://app.example.com/get?x=1')).toBe('/get?x=1');
    expect(pathOf('http://app.example.com?x')).toBe('/?x');
    expect(pathOf('/plain')).toBe('/plain');
  });

  it('formats durations', () => {
    expect(formatDuration(0.42)).toBe('0.4ms');
    expect(formatDuration(12.4)).toBe('12ms');
    expect(formatDuration(1_340)).toBe('1.3s');
  });

  it('wraps words to the width, splitting words longer than a row', () => {
    expect(wrapText('one two three four', 9, 2)).toEqual(['one two', '  three', '  four']);
    expect(wrapText('abcdefghijkl', 5, 0)).toEqual(['abcde', 'fghij', 'kl']);
  });
});

describe('the requests window', () => {
  it('follows the newest when nothing is selected', () => {
    expect(windowStart(100, null, 10, 0)).toBe(90);
  });

  it('moves only as far as needed to keep the selection in view', () => {
    expect(windowStart(100, 95, 10, 90)).toBe(90);
    expect(windowStart(100, 85, 10, 90)).toBe(85);
    expect(windowStart(100, 86, 10, 85)).toBe(85);
    expect(windowStart(101, 86, 10, 85)).toBe(85); // a new request does not move it
    expect(windowStart(5, 2, 10, 0)).toBe(0);
  });
});
