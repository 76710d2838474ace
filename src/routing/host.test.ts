import { describe, expect, it } from 'vitest';
import { normalizeHost, selectHostRoutes, wildcardKeyOf } from './host.js';
import { buildTable } from './table-builder.test-util.js';

describe('normalizeHost', () => {
  it.each([
    [null, ''],
    ['', ''],
    ['App.Example.COM', 'app.example.com'],
    ['app.example.com:8080', 'app.example.com'],
    ['app.example.com.', 'app.example.com'],
    ['app.example.com.:8443', 'app.example.com'],
    ['[::1]:8080', '[::1]'],
    ['[::1]', '[::1]'],
    ['127.0.0.1:8080', '127.0.0.1'],
  ])('%j → %j', (host, normalised) => {
    expect(normalizeHost(host)).toBe(normalised);
  });
});

describe('wildcardKeyOf', () => {
  it.each([
    ['a.example.com', 'example.com'],
    ['b.a.example.com', 'a.example.com'],
    ['localhost', null],
    ['.example.com', null],
    ['', null],
  ])('%j → %j', (host, key) => {
    expect(wildcardKeyOf(host)).toBe(key);
  });
});

describe('selectHostRoutes', () => {
  const table = buildTable([
    { id: 'ingress:default/app#r0.p0', host: 'app.example.com', path: '/', pathType: 'Prefix', service: 'app', port: 80 },
    { id: 'ingress:default/wild#r0.p0', host: '*.example.com', path: '/', pathType: 'Prefix', service: 'wild', port: 80 },
    { id: 'ingress:default/catchall#r0.p0', host: null, path: '/', pathType: 'Prefix', service: 'catchall', port: 80 },
  ]);

  it.each([
    ['app.example.com', 'app.example.com'],
    ['shop.example.com', '*.example.com'],
    ['b.shop.example.com', null],
    ['example.com', null],
    ['', null],
  ])('%j → the rules of %j', (host, ruleHost) => {
    expect(selectHostRoutes(table, host)?.host).toBe(ruleHost);
  });

  it('is null when no group serves the host', () => {
    const hostsOnly = buildTable([
      { id: 'ingress:default/app#r0.p0', host: 'app.example.com', path: '/', pathType: 'Prefix', service: 'app', port: 80 },
    ]);
    expect(selectHostRoutes(hostsOnly, 'other.test')).toBeNull();
  });
});
