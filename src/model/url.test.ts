import { describe, expect, it } from 'vitest';
import { authority } from './url.js';

describe('authority (URLs without ports on 80 and 443, issue 14)', () => {
  it('leaves the scheme\'s default port out, as a browser shows the URL', () => {
    expect(authority('http', 'app.example.com.localhost', 80)).toBe('app.example.com.localhost');
    expect(authority('https', 'app.example.com', 443)).toBe('app.example.com');
    expect(authority('http', '127.0.0.1', 8080)).toBe('127.0.0.1:8080');
    expect(authority('https', 'app.example.com', 80)).toBe('app.example.com:80');
    expect(authority('http', '127.0.0.1', 443)).toBe('127.0.0.1:443');
  });

  it('puts an IPv6 address in brackets', () => {
    expect(authority('http', '::1', 80)).toBe('[::1]');
    expect(authority('http', '::1', 8080)).toBe('[::1]:8080');
  });
});
