import { describe, expect, it } from 'vitest';
import { findEngineCandidates, parseDockerHost } from './engine.js';

const home = { HOME: '/home/ada', XDG_RUNTIME_DIR: '/run/user/1000' };
const existing = (...paths: string[]) => (path: string) => paths.includes(path);

describe('findEngineCandidates', () => {
  it('uses DOCKER_HOST alone, as the docker CLI does, even when the usual sockets exist', () => {
    const found = findEngineCandidates({ ...home, DOCKER_HOST: 'unix:///tmp/other.sock' }, existing('/var/run/docker.sock'));
    expect(found).toEqual({ kind: 'explicit', endpoint: { kind: 'unix', socketPath: '/tmp/other.sock', display: 'unix:///tmp/other.sock', source: 'DOCKER_HOST' } });
  });

  it('without DOCKER_HOST, tries the usual sockets that exist, the system engine first', () => {
    const found = findEngineCandidates(home, existing('/run/user/1000/podman/podman.sock', '/home/ada/.docker/run/docker.sock', '/var/run/docker.sock'));
    expect(found.kind).toBe('probed');
    if (found.kind !== 'probed') return;
    expect(found.present.map((e) => [e.display, e.source])).toEqual([
      ['unix:///var/run/docker.sock', 'Docker Engine'],
      ['unix:///home/ada/.docker/run/docker.sock', 'Docker Desktop'],
      ['unix:///run/user/1000/podman/podman.sock', 'Podman (rootless)'],
    ]);
  });

  it('knows Docker Desktop, colima, rootless Docker and Podman sockets', () => {
    const found = findEngineCandidates(home, () => false);
    expect(found.kind === 'probed' && found.present).toEqual([]);
    expect(found.kind === 'probed' && found.tried.map((e) => e.display)).toEqual([
      'unix:///var/run/docker.sock',
      'unix:///home/ada/.docker/run/docker.sock',
      'unix:///home/ada/.colima/default/docker.sock',
      'unix:///home/ada/.orbstack/run/docker.sock',
      'unix:///home/ada/.rd/docker.sock',
      'unix:///run/user/1000/docker.sock',
      'unix:///run/user/1000/podman/podman.sock',
      'unix:///run/podman/podman.sock',
    ]);
  });

  it('skips the sockets under HOME and XDG_RUNTIME_DIR when they are not set', () => {
    const found = findEngineCandidates({}, () => true);
    expect(found.kind === 'probed' && found.present.map((e) => e.display)).toEqual(['unix:///var/run/docker.sock', 'unix:///run/podman/podman.sock']);
  });

  it('an empty DOCKER_HOST counts as unset', () => {
    expect(findEngineCandidates({ DOCKER_HOST: ' ' }, () => true).kind).toBe('probed');
  });
});

describe('parseDockerHost', () => {
  it.each([
    ['tcp://127.0.0.1:2375', { host: '127.0.0.1', port: 2375, tls: false, display: 'tcp://127.0.0.1:2375' }],
    ['tcp://docker.internal', { host: 'docker.internal', port: 2375, tls: false }],
    ['localhost:2375', { host: 'localhost', port: 2375, tls: false, display: 'tcp://localhost:2375' }],
    ['tcp://10.0.0.2:2376', { host: '10.0.0.2', port: 2376, tls: true, certPath: null }],
    ['tcp://[::1]:2375', { host: '::1', port: 2375, display: 'tcp://[::1]:2375' }],
  ])('%s', (value, expected) => {
    const found = parseDockerHost(value);
    expect(found).toMatchObject({ kind: 'explicit', endpoint: { kind: 'tcp', ...expected } });
  });

  it('DOCKER_TLS_VERIFY turns TLS on, with certificates from DOCKER_CERT_PATH or ~/.docker', () => {
    expect(parseDockerHost('tcp://h', { DOCKER_TLS_VERIFY: '1', HOME: '/home/ada' })).toMatchObject({ endpoint: { port: 2376, tls: true, certPath: '/home/ada/.docker' } });
    expect(parseDockerHost('tcp://h:2376', { DOCKER_CERT_PATH: '/certs' })).toMatchObject({ endpoint: { tls: true, certPath: '/certs' } });
  });

  it.each([
    ['ssh://me@host', /ssh:\/\/ is not supported/],
    ['npipe:////./pipe/docker_engine', /npipe:\/\/ is not supported/],
    ['unix://', /names no socket/],
    ['tcp://host:99999', /not between 1 and 65535/],
    ['tcp://host/path/x', /not an engine address/],
  ])('rejects %s with a message that says what to write', (value, message) => {
    const found = parseDockerHost(value);
    expect(found.kind).toBe('invalid');
    expect(found.kind === 'invalid' && found.error).toMatch(message);
  });
});
