import { parseManifests } from '../../src/manifest/parse.js';
import { compileRoutes } from '../../src/model/compile.js';
import { compareTables, groupDifferences, probeRequests } from '../../src/routing/compare.js';
import { generateProject } from './project.js';
import { medianMs, printTable } from './measure.js';

/**
 * `ingress-dev diff` offline for a folder of 100 Ingresses (500 paths, use-regex on every host,
 * as ingress-nginx routes them) against the same paths as HTTPRoutes, and against itself under
 * the spec profile: parse and compile both sides, generate the requests, route each on both
 * sides, group. Issue 15 asks for under a second.
 */
export function benchDiff(): void {
  const nginx = generateProject(500, 100, { requestCount: 1, regex: true });
  const gateway = generateProject(500, 100, { requestCount: 1, gateway: true });
  const rows: string[][] = [];
  let base = 0;
  for (const [label, newFiles, newProfile] of [['100 Ingresses (nginx) vs the same Ingresses (spec)', nginx.files, 'spec'], ['100 Ingresses (nginx) vs 100 HTTPRoutes', gateway.files, 'auto']] as const) {
    let probes = 0;
    let differences = 0;
    let groups = 0;
    const ms = medianMs(5, () => {
      const oldTable = compileRoutes(parseManifests(nginx.files).resources, { profile: 'nginx' }).value;
      const newTable = compileRoutes(parseManifests(newFiles).resources, { profile: newProfile }).value;
      const requests = probeRequests([oldTable, newTable]);
      const diffs = compareTables(oldTable, newTable, requests);
      probes = requests.length;
      differences = diffs.length;
      groups = groupDifferences(diffs).length;
    });
    if (base === 0) base = ms;
    rows.push([label, String(probes), String(differences), String(groups), `${ms.toFixed(0)} ms`, `${(ms / base).toFixed(2)}x`]);
  }
  printTable('diff: parse, compile both sides, generate the requests, route each on both, group (median of 5)',
    ['compared', 'requests', 'differences', 'groups', 'time', 'vs first'], rows);
}
