import { inputOptions } from '../inputs.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseRouteTests } from '../../manifest/route-tests.js';
import type { CommandSpec, ParsedArgs } from '../args.js';
import { UsageError } from '../args.js';
import { formatBackend } from '../describe.js';
import { painter, useColor, writeLine, type CliIO } from '../io.js';
import { formatProjectDiagnostic, resolveProjectDir, compileForCommand } from '../project.js';
import { formatDiagnostic } from '../../diagnostics/format.js';
import { runRouteTests } from '../route-test-runner.js';
import { runLiveTests } from '../live-tests.js';
import type { RouteTest } from '../../manifest/route-tests.js';

export const defaultTestFile = 'ingress-dev.test.yaml';

export const testCommand: CommandSpec = {
  name: 'test',
  summary: 'Run a route test file against the compiled routes, offline; exit 1 on any failure.',
  usage: 'ingress-dev test [dir] [--tests F] [-f FILE]... [-k DIR] [--helm CHART] [--against URL [--backend-header NAME]] [--json] [--profile P]',
  positionals: { min: 0, max: 1 },
  details: [
    `The test file (default ${defaultTestFile} in the folder) lists requests and what must happen to them:`,
    '',
    '  tests:',
    '    - name: POST reaches httpbin',
    '      request: http://httpbin.example.com/post?x=1   # or /post, or {url, method, headers}',
    '      expect:',
    '        status: 200                  # 200 routed, 404 no route, 503 backend missing',
    '        backend: httpbin:80          # [NAMESPACE/]SERVICE[:PORT], or none',
    '        upstreamPath: /post?x=1',
    '        route: ingress:default/httpbin#r0.p0',
  ].join('\n'),
  options: [
    ...inputOptions,
    { name: 'tests', short: 't', type: 'string', value: 'F', description: `the test file (default: ${defaultTestFile} in the folder)` },
    { name: 'json', type: 'boolean', description: 'print results as JSON' },
    { name: 'profile', type: 'string', value: 'auto|spec|nginx', description: 'route every Ingress as ingress-nginx does (nginx) or by the specification (spec); default auto: each by its class' },
    { name: 'against', type: 'string', value: 'URL', description: 'send the tests to a live ingress instead (http://LOAD-BALANCER, or a kubectl port-forward: http://127.0.0.1:8080); each keeps its Host' },
    { name: 'against-https', type: 'string', value: 'URL', description: 'with --against: where https:// tests go (default: the same address on 443)' },
    { name: 'backend-header', type: 'string', value: 'NAME', description: 'with --against: the response header in which your backends name themselves (their Service or pod name), to check backend:' },
    { name: 'insecure', type: 'boolean', description: 'with --against: do not verify the endpoint\'s certificate' },
    { name: 'implicit-gateway', type: 'boolean', description: 'serve HTTPRoutes whose Gateway is not in the folder on an implicit Gateway (HTTP and HTTPS, any host); also implicitGateway: true in ingress-dev.yaml' },
  ],
};

export async function runTest(args: ParsedArgs, io: CliIO): Promise<number> {
  const dir = await resolveProjectDir(io.cwd, args.positionals[0]);
  const fileFlag = args.flags.tests as string | undefined;
  // --file named the test file once; -f names manifests now, as in every other command.
  const asTests = ((args.flags.file as string[] | undefined) ?? []).find((f) => /(^|[/\\])ingress-dev\.test\.ya?ml$|\.test\.ya?ml$/.test(f));
  if (asTests !== undefined) throw new UsageError(`-f ${asTests} names manifests; give the route test file with --tests ${asTests}`);
  const testPath = fileFlag !== undefined ? path.resolve(io.cwd, fileFlag) : path.join(dir, defaultTestFile);
  const shownPath = path.relative(io.cwd, testPath) || testPath;
  const text = await readFile(testPath, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(e.code === 'ENOENT' ? `no test file: ${shownPath} (create it, or pass --tests)` : `cannot read ${shownPath}: ${e.message}`);
  });
  const color = useColor(io, io.stdout, args.flags);
  const parsed = parseRouteTests(text, shownPath);
  if (parsed.diagnostics.length > 0) {
    for (const d of parsed.diagnostics) writeLine(io.stderr, formatDiagnostic(d, { source: text, color: useColor(io, io.stderr, args.flags) }));
    return 1;
  }
  if (args.flags.against !== undefined) return runAgainst(args, io, parsed.tests, shownPath, color);
  for (const flag of ['against-https', 'backend-header', 'insecure']) if (args.flags[flag] !== undefined) throw new UsageError(`--${flag} goes with --against URL`);
  const project = await compileForCommand(args, io, dir);
  const results = runRouteTests(project.table, parsed.tests);
  const passed = results.filter((r) => r.passed).length;
  const failed = results.length - passed;
  if (args.flags.json === true) {
    writeLine(io.stdout, JSON.stringify({
      passed, failed,
      tests: results.map((r) => ({ name: r.test.name, passed: r.passed, failures: r.failures, line: r.test.at.line, route: r.result?.route?.id ?? r.result?.defaultBackend?.id ?? null, status: r.result?.status ?? null })),
    }, null, 2));
    return failed > 0 ? 1 : 0;
  }
  const paint = painter(color);
  for (const r of results) {
    if (r.passed) {
      const got = r.result;
      const detail = got === null ? '' : ` ${paint('2', `→ ${got.status} ${formatBackend(got.backend)}`)}`;
      writeLine(io.stdout, `${paint('32', '✓')} ${r.test.name}${detail}`);
    } else {
      writeLine(io.stdout, `${paint('31', '✗')} ${r.test.name}  ${paint('2', `${shownPath}:${r.test.at.line}`)}`);
      for (const f of r.failures) writeLine(io.stdout, `    ${f}`);
      if (r.result !== null && r.result.route === null && r.result.defaultBackend === null && r.result.candidates.length > 0) {
        const near = r.result.candidates[0];
        if (near !== undefined) writeLine(io.stdout, `    nearest: ${near.id}: ${near.detail}`);
      }
    }
  }
  const errors = project.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    writeLine(io.stdout);
    writeLine(io.stdout, `The manifests have ${errors.length} error${errors.length === 1 ? '' : 's'}; invalid paths and hosts are left out, routes to missing Services answer 503:`);
    for (const d of errors.slice(0, 5)) writeLine(io.stdout, formatProjectDiagnostic(project, io.cwd, d, color));
  }
  writeLine(io.stdout);
  writeLine(io.stdout, `${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

function liveUrl(value: string, flag: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${flag} ${value}: write a URL such as http://203.0.113.7 or http://127.0.0.1:8080`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`${flag} ${value}: use http:// or https://`);
  if (url.pathname !== '/' || url.search !== '') throw new UsageError(`${flag} ${value}: give the address only (the tests bring their paths)`);
  return url;
}

/** `test --against URL`: the same tests, sent to a live ingress. */
async function runAgainst(args: ParsedArgs, io: CliIO, tests: readonly RouteTest[], shownPath: string, color: boolean): Promise<number> {
  const httpUrl = liveUrl(args.flags.against as string, '--against');
  const httpsUrl = args.flags['against-https'] === undefined ? new URL(`https://${httpUrl.host.replace(/:\d+$/, '')}`) : liveUrl(args.flags['against-https'] as string, '--against-https');
  const results = await runLiveTests(tests, {
    http: httpUrl,
    https: httpsUrl,
    backendHeader: (args.flags['backend-header'] as string | undefined) ?? null,
    insecure: args.flags.insecure === true,
    timeoutMs: 10_000,
  });
  const passed = results.filter((r) => r.passed).length;
  const failed = results.length - passed;
  const unchecked = results.filter((r) => r.unchecked.length > 0).length;
  if (args.flags.json === true) {
    writeLine(io.stdout, JSON.stringify({ against: httpUrl.origin, passed, failed, tests: results.map((r) => ({ name: r.test.name, passed: r.passed, failures: r.failures, unchecked: r.unchecked, got: r.got, line: r.test.at.line })) }, null, 2));
    return failed > 0 ? 1 : 0;
  }
  const paint = painter(color);
  writeLine(io.stdout, `Against ${httpUrl.origin} (https:// tests: ${httpsUrl.origin}):`);
  for (const r of results) {
    if (r.passed) writeLine(io.stdout, `${paint('32', '✓')} ${r.test.name} ${paint('2', `→ ${r.got}`)}`);
    else {
      writeLine(io.stdout, `${paint('31', '✗')} ${r.test.name}  ${paint('2', `${shownPath}:${r.test.at.line}`)}`);
      for (const f of r.failures) writeLine(io.stdout, `    ${f}`);
    }
    if (r.unchecked.length > 0) writeLine(io.stdout, paint('2', `    not checkable live: ${r.unchecked.join(', ')}`));
  }
  writeLine(io.stdout);
  writeLine(io.stdout, `${passed} passed, ${failed} failed${unchecked === 0 ? '' : ` (${unchecked} with expectations only the local emulation can check)`}`);
  return failed > 0 ? 1 : 0;
}
