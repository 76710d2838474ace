import { describe, expect, it } from 'vitest';
import { formatUrls } from './Header.js';

describe('the header\'s URLs', () => {
  it('shows the HTTPS listener by its port, 443 too when its URL leaves it out (up --port 80)', () => {
    expect(formatUrls(['http://127.0.0.1:8080', 'https://127.0.0.1:8443'])).toBe('http://127.0.0.1:8080 https:8443');
    expect(formatUrls(['http://127.0.0.1', 'https://127.0.0.1'])).toBe('http://127.0.0.1 https:443');
  });
});
