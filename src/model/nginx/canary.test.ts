import { describe, expect, it } from 'vitest';
import { reader } from './annotation.test-util.js';
import { canaryAnnotations, canaryByHeaderPattern, canarySettingsWithoutCanary, readNginxCanary } from './canary.js';

describe('readNginxCanary', () => {
  it('is null without annotations (annotations/canary/main_test.go TestCanaryInvalid)', () => {
    expect(readNginxCanary(reader({}))).toBeNull();
  });

  // annotations/canary/main_test.go TestAnnotations: the cases where Parse succeeds.
  it.each([
    ['canary enabled and weight', { canary: 'true', 'canary-weight': '20' }, { weight: 20, header: '', cookie: '' }],
    ['canary enabled and no weight', { canary: 'true', 'canary-weight': '0' }, { weight: 0, header: '', cookie: '' }],
    ['canary enabled by header', { canary: 'true', 'canary-weight': '20', 'canary-by-header': 'X-Canary' }, { weight: 20, header: 'X-Canary', cookie: '' }],
    ['canary enabled by cookie', { canary: 'true', 'canary-weight': '20', 'canary-by-cookie': 'canary_enabled' }, { weight: 20, header: '', cookie: 'canary_enabled' }],
  ])('reads %s (annotations/canary/main_test.go TestAnnotations)', (_title, values, expected) => {
    expect(readNginxCanary(reader(values))).toMatchObject({ ...expected, weightTotal: 100, headerValue: '', headerPattern: '' });
  });

  // TestAnnotations: "canary disabled and …" make Parse fail; Extract then serves the Ingress without canary settings.
  it.each([
    ['canary disabled and no weight', { canary: 'false', 'canary-weight': '0' }, []],
    ['canary disabled and weight', { canary: 'false', 'canary-weight': '20' }, ['canary-weight']],
    ['canary disabled and header', { canary: 'false', 'canary-by-header': 'X-Canary' }, ['canary-by-header']],
    ['canary disabled and cookie', { canary: 'false', 'canary-by-cookie': 'canary_enabled' }, ['canary-by-cookie']],
  ])('treats %s as an ordinary Ingress and names what is configured but not enabled (annotations/canary/main_test.go TestAnnotations)', (_title, values, named) => {
    const read = reader(values);
    expect(readNginxCanary(read)).toBeNull();
    expect(canarySettingsWithoutCanary(read)).toEqual(named);
  });

  it('keeps canary-weight-total as written; an invalid one leaves 100 (annotations/canary/main.go Parse)', () => {
    expect(readNginxCanary(reader({ canary: 'true', 'canary-weight': '1000', 'canary-weight-total': '1000' }))).toMatchObject({ weight: 1000, weightTotal: 1000 });
    expect(readNginxCanary(reader({ canary: 'true', 'canary-weight-total': 'lots' }))).toMatchObject({ weightTotal: 100 });
  });

  it('accepts the pattern of test/e2e/annotations/canary.go "should routes to mainline upstream when the given Regex causes error"', () => {
    expect(canaryByHeaderPattern.parse('[][**da?$&*')).toEqual({ ok: true, value: '[][**da?$&*' });
    expect(canaryByHeaderPattern.parse('^Do[A-Z][a-z]+y$')).toEqual({ ok: true, value: '^Do[A-Z][a-z]+y$' });
  });

  it('refuses a header name with characters outside parser.BasicCharsRegex (annotations/parser/validators.go)', () => {
    expect(readNginxCanary(reader({ canary: 'true', 'canary-by-header': 'X-Canary;' }))).toMatchObject({ header: '' });
    expect(canaryAnnotations.map((a) => a.name)).toEqual(['canary', 'canary-by-header', 'canary-by-header-value', 'canary-by-header-pattern', 'canary-by-cookie', 'canary-weight', 'canary-weight-total']);
  });
});
