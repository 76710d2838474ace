import { describe, expect, it } from 'vitest';
import { parseConfig, parseDuration } from './config.js';

describe('parseConfig', () => {
  it('reads listen, profile, services (all ports or per port), unmapped and timeouts', () => {
    const { config, diagnostics } = parseConfig([
      'listen: { host: 0.0.0.0, http: 9090 }',
      'profile: spec',
      'services:',
      '  httpbin: 3000',
      '  api:',
      '    http: http://127.0.0.1:4000',
      '    9000: echo',
      'unmapped: echo',
      'timeouts: { connect: 2s, read: 500ms, send: 1m }',
    ].join('\n'), 'ingress-dev.yaml');
    expect(diagnostics).toEqual([]);
    expect(config.listen).toEqual({ host: '0.0.0.0', http: 9090 });
    expect(config.profile).toBe('spec');
    expect(config.unmapped).toBe('echo');
    expect(config.timeouts).toEqual({ connectMs: 2000, readMs: 500, sendMs: 60_000 });
    expect(config.mappings.map((m) => [m.selector, m.target, m.at.line])).toEqual([
      ['httpbin', '3000', 4], ['api:http', 'http://127.0.0.1:4000', 6], ['api:9000', 'echo', 7],
    ]);
  });

  it('unknown keys are errors with positions and a suggestion', () => {
    const { diagnostics } = parseConfig('services:\n  web: 3000\nservice:\n  api: 4000\nlisten: {prot: 1}\n', 'ingress-dev.yaml');
    expect(diagnostics.map((d) => `${d.code} ${d.line}:${d.col}`)).toEqual(['E_CONFIG 3:1', 'E_CONFIG 5:10']);
    expect(diagnostics[0]?.hint).toContain('Did you mean "services"?');
  });

  it('suggests the closest key, not one that shares its first letters (issue 10, item 6)', () => {
    const hintFor = (text: string) => parseConfig(text, 'c.yaml').diagnostics[0]?.hint ?? '';
    expect(hintFor('runn: true\n')).toContain('Did you mean "run"?');
    expect(hintFor('timeout: {read: 5s}\n')).toContain('Did you mean "timeouts"?');
    expect(hintFor('unmaped: echo\n')).toContain('Did you mean "unmapped"?');
  });

  it('bad values are errors; YAML syntax errors are reported, not thrown', () => {
    expect(parseConfig('listen: {http: abc}', 'c.yaml').diagnostics[0]).toMatchObject({ code: 'E_CONFIG', line: 1, col: 16 });
    expect(parseConfig('profile: gateway', 'c.yaml').diagnostics[0]?.message).toContain('profile must be auto, spec or nginx');
    expect(parseConfig('profile: nginx', 'c.yaml').config.profile).toBe('nginx');
    expect(parseConfig('services: [a', 'c.yaml').diagnostics[0]?.code).toBe('E_YAML_SYNTAX');
    expect(parseConfig('', 'c.yaml').diagnostics).toEqual([]);
    expect(parseConfig('- a', 'c.yaml').diagnostics[0]?.message).toContain('must be a mapping');
  });

  it('reads build: (an image to a context, or with dockerfile, target and args; watch) and manifests: (issue 14)', () => {
    const { config, diagnostics } = parseConfig([
      'build:',
      '  watch: false',
      '  images:',
      '    shop/web: ./web',
      '    api:dev: { context: ./api, dockerfile: Dockerfile.dev, target: dev, args: { NODE_ENV: development, PORT: 3000 } }',
      'manifests:',
      '  helm: { chart: ./chart, values: [a.yaml, b.yaml], set: [x=1], release: web }',
    ].join('\n'), 'ingress-dev.yaml');
    expect(diagnostics).toEqual([]);
    expect(config.build?.watch).toBe(false);
    expect(config.build?.images.map(({ at: _at, ...rest }) => rest)).toEqual([
      { image: 'shop/web', context: './web', dockerfile: 'Dockerfile', target: null, args: {} },
      { image: 'api:dev', context: './api', dockerfile: 'Dockerfile.dev', target: 'dev', args: { NODE_ENV: 'development', PORT: '3000' } },
    ]);
    expect(config.build?.images[0]?.at).toMatchObject({ line: 4, col: 5 });
    expect(config.manifests?.helm).toMatchObject({ chart: './chart', values: ['a.yaml', 'b.yaml'], set: ['x=1'], release: 'web', namespace: null });
  });

  it('mistakes in build: are errors at their line', () => {
    const { diagnostics } = parseConfig(['build:', '  images:', '    Shop/Web: ./web', '    api: { dockerfile: D }', '  wacth: true'].join('\n'), 'ingress-dev.yaml');
    expect(diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`)).toEqual([
      '3:5 build.images: "Shop/Web" is not an image name',
      '4:10 build.images.api needs a context',
      '5:3 Unknown key "wacth" in build',
    ]);
  });

  it('parses durations', () => {
    expect(parseDuration('5s')).toBe(5000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration(2)).toBe(2000);
    expect(parseDuration('soon')).toBeNull();
    expect(parseDuration('0s')).toBeNull();
  });
});
