/**
 * Issue 10 item 18: with `--no-ui`, losing and regaining the Docker engine was never printed
 * (only `--log json` said it). The engine is the real one, behind a socket that the test can
 * take away and give back.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUp } from '../up-harness.js';
import { startEngine } from './harness.js';

const temp = mkdtempSync(path.join(os.tmpdir(), 'ingress-dev-engine-log-'));
const socketPath = path.join(temp, 'docker.sock');

beforeAll(async () => {
  await startEngine();
}, 300_000);
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** A socket that forwards to the real engine, and can be taken away: the engine "goes away". */
function engineRelay(): { start(): Promise<void>; stop(): Promise<void> } {
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  return {
    start: () =>
      new Promise<void>((resolve) => {
        server = net.createServer((client) => {
          const engine = net.connect('/var/run/docker.sock');
          sockets.add(client).add(engine);
          client.pipe(engine).pipe(client);
          const drop = (): void => {
            client.destroy();
            engine.destroy();
          };
          client.on('error', drop).on('close', drop);
          engine.on('error', drop).on('close', drop);
        });
        server.listen(socketPath, resolve);
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        sockets.clear();
        if (server === null) resolve();
        else server.close(() => resolve());
        server = null;
      }),
  };
}

describe('up --no-ui and the Docker engine', () => {
  it('prints one line when the engine goes away and one when it is back', async () => {
    const dir = path.join(temp, 'project');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'svc.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n');
    const relay = engineRelay();
    await relay.start();
    const up = await startUp([dir, '--port', '0', '--no-ui', '--no-watch'], dir, { DOCKER_HOST: `unix://${socketPath}` });
    try {
      await up.waitFor(/Docker: connected/);
      await relay.stop();
      await up.waitFor(/Docker: engine not reachable/, 10_000);
      await relay.start();
      await up.waitFor(/Docker: connected[\s\S]*Docker: engine not reachable[\s\S]*Docker: connected/, 10_000);
      const lines = up.stderr().split('\n').filter((line) => line.startsWith('Docker: '));
      expect(lines.map((line) => line.split(' ')[1])).toEqual(['connected', 'engine', 'connected']);
    } finally {
      expect(await up.stop()).toBe(130);
      await relay.stop();
    }
  }, 60_000);
});
