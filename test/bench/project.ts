import type { SourceFile } from '../../src/manifest/types.js';
import type { MatchRequest } from '../../src/routing/types.js';

export interface GeneratedProject {
  readonly files: SourceFile[];
  readonly requests: MatchRequest[];
}

/**
 * A synthetic project: `paths` Ingress paths spread evenly over `hosts` hosts (one Ingress per
 * host), every tenth host a wildcard, plus a realistic request mix: 60 % exact-host hits, 20 %
 * wildcard hits, 20 % misses (unknown host, or a known host with an unknown path).
 */
export function generateProject(
  paths: number,
  hosts: number,
  options: { readonly requestCount?: number; readonly seed?: number; readonly requestHosts?: number; readonly regex?: boolean; readonly gateway?: boolean } = {},
): GeneratedProject {
  const requestCount = options.requestCount ?? 20_000;
  const seed = options.seed ?? 42;
  const hostCount = Math.max(1, Math.min(paths, hosts));
  const perHost = Math.ceil(paths / hostCount);
  // One host in ten is a wildcard; a table of fewer than ten hosts still gets one.
  const isWildcard = (h: number) => h % 10 === 9 || (hostCount > 1 && hostCount < 10 && h === hostCount - 1);
  const docs: string[] = [];
  const hostNames: { name: string; wildcard: boolean; paths: string[] }[] = [];
  let made = 0;
  for (let h = 0; h < hostCount && made < paths; h++) {
    const wildcard = isWildcard(h);
    const name = wildcard ? `*.w${h}.example.com` : `app${h}.example.com`;
    const hostPaths: string[] = [];
    const items: string[] = [];
    for (let p = 0; p < perHost && made < paths; p++, made++) {
      const path = p === 0 ? '/' : `/api/v${p % 3}/res${p}`;
      hostPaths.push(path);
      items.push(`          - path: ${path}\n            pathType: ${p % 4 === 1 ? 'Exact' : 'Prefix'}\n            backend:\n              service:\n                name: svc${h % 50}\n                port:\n                  number: 80`);
    }
    hostNames.push({ name, wildcard, paths: hostPaths });
    if (options.gateway === true) {
      // The same paths as one HTTPRoute per host, one rule per path (Exact or PathPrefix, as the Ingress's).
      const rules = hostPaths.map((path, p) => `    - matches: [{path: {type: ${p % 4 === 1 ? 'Exact' : 'PathPrefix'}, value: "${path}"}}]\n      backendRefs: [{name: svc${h % 50}, port: 80}]`);
      docs.push(`apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: route${h}\nspec:\n  parentRefs: [{name: gw}]\n  hostnames: ["${name}"]\n  rules:\n${rules.join('\n')}`);
      continue;
    }
    docs.push(`apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: ing${h}${options.regex === true ? '\n  annotations:\n    nginx.ingress.kubernetes.io/use-regex: "true"' : ''}\nspec:\n  rules:\n    - host: "${name}"\n      http:\n        paths:\n${items.join('\n')}`);
  }
  if (options.gateway === true) docs.push('apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: gw\nspec:\n  gatewayClassName: bench\n  listeners: [{name: http, protocol: HTTP, port: 80}]');
  for (let s = 0; s < 50; s++) {
    docs.push(`apiVersion: v1\nkind: Service\nmetadata:\n  name: svc${s}\nspec:\n  selector:\n    app: svc${s}\n  ports:\n    - port: 80\n      targetPort: 8080`);
  }
  const files: SourceFile[] = [{ file: 'generated.yaml', text: docs.join('\n---\n') }];

  let state = seed;
  const random = () => {
    // xorshift: deterministic, so both tables see the same kind of mix run after run
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  // requestHosts limits the requests to the first N exact and N wildcard hosts: the same
  // working set as a small table, to tell algorithmic cost from cache misses.
  const limit = options.requestHosts ?? Infinity;
  const exact = hostNames.filter((h) => !h.wildcard).slice(0, limit);
  const wild = hostNames.filter((h) => h.wildcard).slice(0, limit);
  const requests: MatchRequest[] = [];
  for (let i = 0; i < requestCount; i++) {
    const r = random();
    if (r < 0.6 || wild.length === 0) {
      const h = pick(exact.length > 0 ? exact : hostNames);
      const path = pick(h.paths);
      requests.push({ host: `${h.name}:8080`, path: path === '/' ? '/index.html?x=1' : `${path}/item/${i}?q=${i}` });
    } else if (r < 0.8) {
      const h = pick(wild);
      requests.push({ host: `tenant${i % 7}.${h.name.slice(2)}`, path: `${pick(h.paths)}` });
    } else if (r < 0.9) {
      requests.push({ host: `unknown${i}.example.org`, path: '/api/v1/res1' });
    } else {
      const h = pick([...exact, ...wild]);
      requests.push({ host: h.wildcard ? `x.${h.name.slice(2)}` : h.name, path: '/api/v9/nothing-here' });
    }
  }
  return { files, requests };
}
