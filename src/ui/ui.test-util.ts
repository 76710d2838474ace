import type { BackendResolver, Resolution, Target } from '../backends/types.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { createEventBus, type EventBus } from '../events/bus.js';
import type { RequestCompleted } from '../events/types.js';
import type { RouteTable } from '../model/types.js';
import { buildTable } from '../routing/table-builder.test-util.js';
import type { UiState } from './status-store.js';

/** Three hosts, a Prefix and an Exact path competing, a broken backend and a defaultBackend. */
export function sampleTable(): RouteTable {
  return buildTable(
    [
      { id: 'ingress:default/web#r0.p0', host: 'app.example.com', path: '/', pathType: 'Prefix', service: 'web', port: 80 },
      { id: 'ingress:default/web#r0.p1', host: 'app.example.com', path: '/api', pathType: 'Prefix', service: 'api', port: 8080 },
      { id: 'ingress:default/web#r0.p2', host: 'app.example.com', path: '/api/health', pathType: 'Exact', service: 'stub', port: 80 },
      { id: 'ingress:shop/store#r0.p0', host: 'shop.example.com', path: '/', pathType: 'Prefix', service: 'store', port: 80 },
      { id: 'ingress:default/broken#r0.p0', host: 'broken.example.com', path: '/', pathType: 'Prefix', service: 'ghost', port: 80, problem: 'Service "ghost" not found' },
    ],
    [{ id: 'ingress:default/fallback#default', service: 'web', port: 80 }],
  );
}

export function http(port: number): Target {
  return { kind: 'http', protocol: 'http:', host: '127.0.0.1', port, origin: `http://127.0.0.1:${port}` };
}

/** web → :3000, api → :4000, stub → echo; store unmapped. */
export function sampleResolver(): BackendResolver {
  const targets: Record<string, Target> = { web: http(3000), api: http(4000), stub: { kind: 'echo' } };
  return {
    resolve(backend): Resolution {
      const target = targets[backend.service];
      if (target === undefined) return { kind: 'unavailable', cause: 'unmapped', reason: `Service ${backend.service} is not mapped`, hint: `--map ${backend.service}=PORT` };
      return { kind: 'target', target, via: `--map ${backend.service}` };
    },
  };
}

export const sampleDiagnostics: readonly Diagnostic[] = [
  {
    code: 'E_SERVICE_NOT_FOUND',
    severity: 'error',
    message: 'Service "ghost" not found in namespace "default"',
    file: 'broken.yaml',
    line: 12,
    col: 15,
    hint: 'Services in namespace "default": web, api, stub.',
  },
  { code: 'W_PORT_SHORTHAND', severity: 'warning', message: 'port: 80 is a shorthand', file: 'web.yaml', line: 9, col: 7, hint: 'write port: {number: 80}' },
];

export function sampleState(overrides: Partial<UiState> = {}): UiState {
  return { table: sampleTable(), resolver: sampleResolver(), diagnostics: sampleDiagnostics, files: 3, ...overrides };
}

let nextId = 0;

/** A finished request, as the proxy reports it. */
export function fakeRequest(overrides: Partial<RequestCompleted> = {}): RequestCompleted {
  nextId++;
  return {
    type: 'request-completed',
    id: `req-${nextId}`,
    startedAt: Date.UTC(2026, 0, 2, 3, 4, 5),
    method: 'GET',
    host: 'app.example.com',
    path: '/api/users',
    status: 200,
    durationMs: 12.4,
    routeId: 'ingress:default/web#r0.p1',
    target: 'http://127.0.0.1:4000',
    upstreamPath: '/api/users',
    error: null,
    upgrade: false,
    requestHeaders: { host: 'app.example.com', 'user-agent': 'test' },
    responseHeaders: { 'content-type': 'application/json' },
    bytesIn: 0,
    bytesOut: 120,
    ...overrides,
  };
}

export function fakeBus(): EventBus {
  return createEventBus();
}

/** Poll until `probe` returns a value (no fixed sleeps); fail with the last frame after the timeout. */
export async function waitFor<T>(probe: () => T | null | undefined | false, describe: () => string, timeoutMs = 3_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms; last frame:\n${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A frame without colours, for assertions. */
export function plain(frame: string | undefined): string {
  // oxlint-disable-next-line no-control-regex
  return (frame ?? '').replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
}

export const keys = {
  up: '\u001b[A',
  down: '\u001b[B',
  enter: '\r',
  escape: '\u001b',
  tab: '\t',
  shiftTab: '\u001b[Z',
  backspace: '\u007f',
  ctrlC: '\u0003',
} as const;
