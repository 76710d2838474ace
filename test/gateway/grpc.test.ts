/**
 * GRPCRoute (issue 13) with real gRPC: @grpc/grpc-js servers as the backends (h2c, as a cluster's
 * gRPC Services usually are) and a grpc-js client over TLS to the HTTPS listener (h2 by ALPN),
 * verifying the local CA. Cases from kubernetes-sigs/gateway-api conformance/tests:
 * grpcroute-exact-method-matching.go (Echo → v1, EchoTwo → v2, EchoThree → Unimplemented) and
 * grpcroute-header-matching.go; trailers (grpc-status, custom trailing metadata) relayed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventBus } from '../../src/events/bus.js';
import type { RequestCompleted } from '../../src/events/types.js';
import { startProxy, type RunningProxy } from '../../src/proxy/server.js';
import { loadOrCreateCa, type LocalCa } from '../../src/tls/ca.js';
import { createCertificateStore } from '../../src/tls/certificates.js';
import { testResolver } from '../proxy/harness.js';
import { compileYaml } from './harness.js';

const service = 'gateway_api_conformance.echo_basic.grpcecho.GrpcEcho';
const json = {
  serialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer) => JSON.parse(bytes.toString('utf8')) as Record<string, unknown>,
};
const definition: grpc.ServiceDefinition = Object.fromEntries(['Echo', 'EchoTwo', 'EchoThree'].map((m) => [m, {
  path: `/${service}/${m}`, requestStream: false, responseStream: false,
  requestSerialize: json.serialize, requestDeserialize: json.deserialize, responseSerialize: json.serialize, responseDeserialize: json.deserialize,
}]));

const yaml = `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: test
  listeners:
    - {name: http, protocol: HTTP, port: 80}
    - {name: https, protocol: HTTPS, port: 443}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: exact}
spec:
  parentRefs: [{name: gw}]
  hostnames: [grpc.example.com]
  rules:
    - matches: [{method: {service: ${service}, method: Echo}}]
      backendRefs: [{name: v1, port: 8080}]
    - matches: [{method: {service: ${service}, method: EchoTwo}}]
      backendRefs: [{name: v2, port: 8080}]
    - matches: [{headers: [{name: version, value: two}]}]
      filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: x-routed-by, value: header}]}}]
      backendRefs: [{name: v2, port: 8080}]
    - matches: [{method: {service: broken.Service}}]
      backendRefs: [{name: nonexistent, port: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: v1}
spec: {ports: [{port: 8080, appProtocol: kubernetes.io/h2c}]}
---
apiVersion: v1
kind: Service
metadata: {name: v2}
spec: {ports: [{port: 8080, appProtocol: kubernetes.io/h2c}]}
`;

const home = mkdtempSync(path.join(os.tmpdir(), 'ingress-dev-grpc-'));
let ca: LocalCa;
let proxy: RunningProxy;
const servers: grpc.Server[] = [];
const events: RequestCompleted[] = [];
let client: grpc.Client;

/** A backend that answers every method with its name, the method, and the metadata it received; trailing metadata `x-backend`. */
async function startBackend(name: string): Promise<number> {
  const server = new grpc.Server();
  const handler = (m: string) => (received: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
    const trailer = new grpc.Metadata();
    trailer.set('x-backend', name);
    callback(null, { backend: name, method: m, metadata: received.metadata.getMap() }, trailer);
  };
  server.addService(definition, { Echo: handler('Echo'), EchoTwo: handler('EchoTwo'), EchoThree: handler('EchoThree') });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err === null ? resolve(p) : reject(err))));
  servers.push(server);
  return port;
}

function call(method: string, metadata: Record<string, string> = {}): Promise<{ value?: Record<string, unknown>; error?: grpc.ServiceError; trailers?: grpc.Metadata }> {
  return new Promise((resolve) => {
    const md = new grpc.Metadata();
    for (const [k, v] of Object.entries(metadata)) md.set(k, v);
    // The answer and the status (with the trailing metadata) come as two events: wait for both.
    let answer: { error?: grpc.ServiceError; value?: Record<string, unknown> } | null = null;
    let trailers: grpc.Metadata | null = null;
    const done = () => {
      if (answer !== null && trailers !== null) resolve({ ...answer, trailers });
    };
    const c = client.makeUnaryRequest(method.includes('/') ? method : `/${service}/${method}`, json.serialize, json.deserialize, { hello: 'gateway' }, md, (error, value) => {
      answer = { ...(error === null ? {} : { error }), ...(value === undefined ? {} : { value: value as Record<string, unknown> }) };
      done();
    });
    c.on('status', (status: grpc.StatusObject) => {
      trailers = status.metadata;
      done();
    });
  });
}

beforeAll(async () => {
  const env = { INGRESS_DEV_HOME: home, CAROOT: path.join(home, 'no-mkcert') };
  ca = await loadOrCreateCa(env);
  const v1 = await startBackend('v1');
  const v2 = await startBackend('v2');
  const { table } = compileYaml(yaml);
  const bus = createEventBus();
  bus.on('request-completed', (e) => events.push(e));
  proxy = await startProxy({ host: '127.0.0.1', port: 0, https: { port: 0, certificates: createCertificateStore({ ca, served: () => new Map() }) }, getTable: () => table, resolver: testResolver({ v1, v2 }), events: bus });
  client = new grpc.Client(`127.0.0.1:${proxy.httpsPort ?? 0}`, grpc.credentials.createSsl(Buffer.from(ca.certPem)), { 'grpc.ssl_target_name_override': 'grpc.example.com', 'grpc.default_authority': 'grpc.example.com' });
}, 30_000);

afterAll(async () => {
  client?.close();
  await proxy?.close(500);
  for (const s of servers) s.forceShutdown();
  rmSync(home, { recursive: true, force: true });
});

describe('GRPCRoute over HTTP/2', () => {
  it('grpcroute-exact-method-matching.go: Echo → v1, EchoTwo → v2, with the trailers relayed', async () => {
    const echo = await call('Echo');
    expect(echo.error).toBeUndefined();
    expect(echo.value).toMatchObject({ backend: 'v1', method: 'Echo' });
    expect(echo.trailers?.get('x-backend')).toEqual(['v1']);
    expect(echo.value?.metadata).toMatchObject({ 'x-forwarded-proto': 'https' });
    const two = await call('EchoTwo');
    expect(two.value).toMatchObject({ backend: 'v2', method: 'EchoTwo' });
  });

  it('grpcroute-exact-method-matching.go: a method no rule matches gets UNIMPLEMENTED (grpc-status 12), not an HTML page', async () => {
    const three = await call('EchoThree');
    expect(three.error?.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(three.error?.details).toContain('No HTTPRoute rule matches');
  });

  it('grpcroute-header-matching.go: a header match routes any method, and its filter reaches the backend', async () => {
    const byHeader = await call('EchoThree', { version: 'two' });
    expect(byHeader.value).toMatchObject({ backend: 'v2', method: 'EchoThree' });
    expect(byHeader.value?.metadata).toMatchObject({ 'x-routed-by': 'header' });
  });

  it('a backendRef that cannot be resolved answers UNAVAILABLE (grpcroute_types.go BackendRefs)', async () => {
    const broken = await call('/broken.Service/Do');
    expect(broken.error?.code).toBe(grpc.status.UNAVAILABLE);
  });

  it('reports each call as a request of HTTP/2 over TLS with the GRPCRoute rule', async () => {
    await call('Echo');
    const event = events.findLast((e) => e.path === `/${service}/Echo`);
    expect(event).toMatchObject({ method: 'POST', status: 200, routeId: 'grpcroute:default/exact#r0.m0', protocol: 'HTTP/2', scheme: 'https' });
  });

  it('takes gRPC in cleartext on the HTTP port too (h2c with prior knowledge, as gRPC clients without TLS send it)', async () => {
    const plain = new grpc.Client(`127.0.0.1:${proxy.port}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': 'grpc.example.com' });
    try {
      const answer = await new Promise<Record<string, unknown>>((resolve, reject) => {
        plain.makeUnaryRequest(`/${service}/EchoTwo`, json.serialize, json.deserialize, {}, new grpc.Metadata(), (error, value) => (error === null ? resolve(value as Record<string, unknown>) : reject(error)));
      });
      expect(answer).toMatchObject({ backend: 'v2', method: 'EchoTwo', metadata: { 'x-forwarded-proto': 'http' } });
    } finally {
      plain.close();
    }
  });
});
