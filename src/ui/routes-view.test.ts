import { describe, expect, it } from 'vitest';
import type { BackendResolver } from '../backends/types.js';
import { routeLines, routeRows } from './routes-view.js';
import { sampleTable } from './ui.test-util.js';

describe('routes served by Docker', () => {
  it('show which rule selected which container under the route, without the changing replica', () => {
    const resolver: BackendResolver = {
      resolve: () => ({
        kind: 'target',
        target: { kind: 'http', protocol: 'http:', host: '172.17.0.3', port: 80, origin: 'http://172.17.0.3:80' },
        via: 'docker: selector app=web → container web-1 (3f2a1b2c3d4e), replica 2 of 2',
      }),
    };
    const rows = routeRows(sampleTable(), resolver, new Map());
    expect(rows[0]?.via).toBe('docker: selector app=web → container web-1 (3f2a1b2c3d4e)');
    const text = routeLines(rows, 100).rows.map((l) => l.segments.map((s) => s.text).join(''));
    expect(text[1]?.trimEnd()).toBe('    ↳ docker: selector app=web → container web-1 (3f2a1b2c3d4e)');
  });

  it('a Service whose containers cannot take requests says why', () => {
    const resolver: BackendResolver = {
      resolve: () => ({ kind: 'unavailable', cause: 'docker', reason: 'Service default/web port 80: container web-1 is not ready yet (TCP connect to port 80)', hint: '' }),
    };
    const row = routeRows(sampleTable(), resolver, new Map())[0];
    expect(row).toMatchObject({ target: 'docker: down', health: 'refused', via: 'container web-1 is not ready yet (TCP connect to port 80)' });
  });
});
