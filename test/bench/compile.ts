import { parseManifests } from '../../src/manifest/parse.js';
import { compileRoutes } from '../../src/model/compile.js';
import { generateProject } from './project.js';
import { formatNumber, medianMs, printTable } from './measure.js';

/** Compile time for 1, 100 and 10,000 Ingress paths spread over up to 1,000 hosts. */
export function benchCompile(): void {
  const rows: string[][] = [];
  let base = 0;
  for (const paths of [1, 100, 10_000]) {
    const project = generateProject(paths, 1_000, { requestCount: 10 });
    const parsed = parseManifests(project.files);
    const runs = paths >= 10_000 ? 15 : 200;
    const parseMs = medianMs(Math.min(runs, 15), () => parseManifests(project.files));
    const compileMs = medianMs(runs, () => compileRoutes(parsed.resources, { profile: 'spec' }));
    const routes = compileRoutes(parsed.resources, { profile: 'spec' }).value.routes.length;
    if (base === 0) base = compileMs;
    rows.push([
      `${formatNumber(paths)} paths`,
      String(routes),
      String(Math.min(paths, 1_000)),
      `${compileMs.toFixed(3)} ms`,
      `${(compileMs / base).toFixed(1)}x`,
      `${((compileMs * 1000) / paths).toFixed(2)} µs`,
      `${parseMs.toFixed(1)} ms`,
    ]);
  }
  printTable('compile (median; parse = YAML text → resources, shown for scale)',
    ['table', 'routes', 'hosts', 'compile', 'vs 1 path', 'per path', 'parse'], rows);
}
