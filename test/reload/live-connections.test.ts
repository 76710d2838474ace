/**
 * A reload swaps one reference: what is already in flight keeps what it started with. An open
 * WebSocket keeps working, and a slow request finishes on its old route, even when the reload
 * removed or re-pointed that route.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { startUpstream, waitFor } from '../proxy/harness.js';
import { acceptWebSocket, openWebSocket } from '../proxy/ws.js';
import { get, ingressYaml, startUpIn, tempProject, waitForAnswer, waitForNotFound, waitForRoute } from './harness.js';

const host = 'app.example.com';

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.toReversed()) await step();
  cleanup = [];
});

describe('connections open across a reload', { timeout: 15_000 }, () => {
  it('keeps an open WebSocket working after a reload that removed its route', async () => {
    const chat = await startUpstream((_req, res) => res.end('plain'));
    chat.server.on('upgrade', (req: IncomingMessage, socket: Duplex) => acceptWebSocket(req, socket));
    cleanup.push(() => chat.close());
    const withWs = ingressYaml('web', [{ host, paths: [{ path: '/ws', service: 'chat' }, { path: '/page', service: 'web' }] }]);
    const project = tempProject({ 'ingress.yaml': withWs, 'ingress-dev.yaml': `services:\n  chat: ${chat.port}\n  web: echo\n` });
    cleanup.push(() => project.remove());
    const up = await startUpIn(project, ['--port', '0']);
    cleanup.push(async () => void expect(await up.stop()).toBe(130));

    const ws = await openWebSocket(up.port, '/ws', { Host: host });
    expect(ws.status).toBe(101);
    ws.send('before');
    expect(await ws.next()).toBe('echo: before');

    project.write('ingress.yaml', ingressYaml('web', [{ host, paths: [{ path: '/page2', service: 'web' }] }]));
    await waitForRoute(up, host, '/page2', 'ingress:default/web#r0.p0');
    await waitForNotFound(up, host, '/ws');

    ws.send('after');
    expect(await ws.next()).toBe('echo: after');
    ws.socket.end();
    await ws.closed;
  });

  it('lets a slow request finish on the route it started on, while new requests take the new one', async () => {
    // Holds the first request until the test lets it go; answers later ones (the polls) at once.
    const held: ServerResponse[] = [];
    const slow = await startUpstream((_req, res) => (held.length === 0 ? void held.push(res) : res.end('old route')));
    cleanup.push(() => slow.close());
    const project = tempProject({
      'ingress.yaml': ingressYaml('web', [{ host, paths: [{ path: '/report', service: 'slow' }] }]),
      'ingress-dev.yaml': `services:\n  slow: ${slow.port}\n`,
    });
    cleanup.push(() => project.remove());
    const up = await startUpIn(project, ['--port', '0', '--echo-unmapped']);
    cleanup.push(async () => void expect(await up.stop()).toBe(130));

    const inFlight = get(up.port, host, '/report');
    await waitFor(() => held.length === 1, 5_000, 'the slow upstream to get the request');

    // Re-point /report to Service `fast`, which the echo answers.
    project.write('ingress.yaml', ingressYaml('web', [{ host, paths: [{ path: '/report', service: 'fast' }] }]));
    await waitForAnswer(up.port, host, '/report', (a) => a.status === 200 && a.route === 'ingress:default/web#r0.p0' && a.body.includes('fast'));

    held[0]?.end('the slow report');
    const answer = await inFlight;
    expect(answer).toMatchObject({ status: 200, body: 'the slow report' });
  });
});
