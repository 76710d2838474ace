import { describe, expect, it } from 'vitest';
import { checkHost, suggestHost } from './host.js';

describe('suggestHost', () => {
  // issue 10, item 7: App_Example.com was told to write app_example.com, which checkHost refuses.
  it.each([
    ['App_Example.com', 'app-example.com'],
    ['App.Example.COM.', 'app.example.com'],
    ['web.example.com:8080', 'web.example.com'],
    ['-web-.example.com', 'web.example.com'],
    ['*.Example.com', '*.example.com'],
    ['my app.example.com', 'my-app.example.com'],
  ])('%s → %s', (host, near) => {
    expect(suggestHost(host)).toBe(near);
  });

  it('proposes nothing when no valid host is near', () => {
    expect(suggestHost('___')).toBeNull();
  });

  it('every host it proposes passes checkHost', () => {
    const hosts = ['App_Example.com', 'A..B', 'x'.repeat(70) + '.com', 'Ünïcode.example', 'web.example.com:', 'HOST:80', '*.*.com', '-.example.com'];
    for (const host of hosts) {
      const near = suggestHost(host);
      if (near !== null) expect(checkHost(near), `${host} → ${near}`).toBeNull();
    }
  });
});
