import type { SourcePosition } from '../diagnostics/diagnostic.js';
import type { RouteTable } from '../model/types.js';
import { explainRequest, routeWithAlias } from '../routing/match.js';
import { formatMatch, ruleFilters } from '../model/gateway/format.js';
import type { Explanation } from '../routing/types.js';
import { line, type Line } from './lines.js';
import type { RequestEntry } from './request-store.js';
import { compactTarget, formatServicePort } from './routes-view.js';
import { formatBytes, formatClockMs, formatDuration, pathOf, plural, statusClass, statusColor } from './text.js';

// Values start in this column; a wrapped value continues in it (`indent` of its line).
const valueColumn = 10;
const label = (name: string): string => name.padEnd(valueColumn);

/**
 * The detail of one request: the rule that won (with its file:line), the candidates that lost
 * and why, the path sent upstream, headers, timings and the error. The explanation is computed
 * here, for the selected request only, never on the proxy's path.
 */
export function detailLines(entry: RequestEntry, table: RouteTable): Line[] {
  const e = entry.event;
  const path = pathOf(e.path);
  const explanation = explain(table, e.host, path, e.method, e.requestHeaders, e.scheme ?? 'http');
  const out: Line[] = [];

  out.push({
    segments: [
      { text: `${e.method} ${e.scheme === 'https' ? 'https://' : ''}${e.host}${path}  `, bold: true },
      { text: String(e.status), bold: true, color: statusColor[statusClass(e.status)] },
      { text: `  ${formatDuration(e.durationMs)}${e.upgrade ? '  upgrade' : ''}${e.protocol === undefined ? '' : `  ${e.protocol}${e.scheme === 'https' ? ' over TLS' : ''}`}` },
    ],
  });

  const winner = e.routeId === null ? null : findRule(table, e.routeId);
  if (e.routeId === null) {
    out.push(line(`${label('Route')}no route: no rule matched ${explanation.host || '(no host)'}${path} and there is no defaultBackend`, {}, true, valueColumn));
  } else if (winner === null) {
    out.push(line(`${label('Route')}${e.routeId} (no longer in the routes: the manifests changed since)`, {}, true, valueColumn));
  } else {
    out.push({
      segments: [{ text: label('Route') }, { text: e.routeId, bold: true, color: 'green' }, { text: `  ${winner.rule}  ` }, { text: `${winner.source.file}:${winner.source.line}`, color: 'cyan' }],
      wrap: true,
      indent: valueColumn,
    });
  }
  // ingress-nginx's view of it: the nginx location that answered, or its redirect.
  const nginx = explanation.nginx;
  if (nginx?.kind === 'location') out.push(line(`${label('Location')}${nginx.location.directive}${nginx.location.note === null ? '' : ` (${nginx.location.note})`}`, {}, true, valueColumn));
  if (nginx?.kind === 'redirect') out.push(line(`${label('Redirect')}301 to ${explanation.redirect?.location ?? nginx.to} (${nginx.location.directive} ends in /)`, { color: 'cyan' }, true, valueColumn));
  if (nginx?.kind === 'bad-request') out.push(line(`${label('Refused')}nginx answers 400: ${nginx.why}`, { color: 'red' }, true, valueColumn));
  // The Gateway API's listener, and the match of the rule that won.
  const gw = explanation.gateway;
  if (gw !== undefined) {
    const listener = gw.entry?.listener ?? gw.group.listeners[0];
    if (listener !== undefined) out.push(line(`${label('Listener')}${listener.name} of Gateway ${listener.gateway.namespace}/${listener.gateway.name} (${listener.protocol}, ${gw.group.hostname ?? 'any host'})`, {}, true, valueColumn));
  }
  // What each annotation (or Gateway API filter) did to this very request, as the proxy decided it.
  const stepLabel = e.routeId?.startsWith('httproute:') === true ? 'Filter' : 'nginx';
  for (const step of e.steps ?? []) out.push(line(`${label(stepLabel)}${step.by}: ${step.what}`, { color: 'cyan' }, true, valueColumn));
  const gatewayWins = gw?.entry === null || gw?.entry === undefined ? null : `${gw.entry.rule.id}.m${gw.entry.match.index}`;
  const nowWins = gatewayWins ?? explanation.route?.id ?? explanation.defaultBackend?.id ?? null;
  if (nowWins !== e.routeId) {
    out.push(line(`${label('')}the routes changed since: now this request would go to ${nowWins ?? 'no route'}`, { color: 'yellow' }, true, valueColumn));
  }
  if (explanation.backend !== null && explanation.backend.kind === 'service') {
    out.push(line(`${label('Backend')}${formatServicePort(explanation.backend)} → ${e.target === null ? 'not forwarded' : compactTarget(e.target)}`, {}, true, valueColumn));
  } else if (e.target !== null) {
    out.push(line(`${label('Target')}${compactTarget(e.target)}`, {}, true, valueColumn));
  }
  out.push(line(`${label('Upstream')}${e.upstreamPath ?? '(not forwarded)'}`, {}, true, valueColumn));
  // A redirect the proxy answers itself is what the rule asks for, not a failure.
  if (e.error !== null && e.status >= 300 && e.status < 400) out.push(line(`${label('Answer')}${e.error}`, {}, true, valueColumn));
  else if (e.error !== null) out.push(line(`${label('Error')}${e.error}`, { color: 'red' }, true, valueColumn));
  out.push(
    line(
      `${label('Timing')}started ${formatClockMs(e.startedAt)} · ${formatDuration(e.durationMs)} · ${formatBytes(e.bytesIn)} in · ${formatBytes(e.bytesOut)} out · id ${e.id}`,
      {},
      true,
      valueColumn,
    ),
  );
  for (const note of explanation.notes) out.push(line(`${label('Note')}${note}`, { dim: true }, true, valueColumn));

  out.push(line(''), line(`Candidates that lost (${explanation.candidates.length})`, { bold: true }));
  if (explanation.candidates.length === 0) out.push(line('  none: no other rule in the table', { dim: true }));
  for (const c of explanation.candidates) {
    const rule = c.path === null ? 'defaultBackend' : `${c.pathType ?? ''} ${c.path} on ${c.host ?? 'any host'}`;
    out.push({ segments: [{ text: '  ✗ ', color: 'red' }, { text: c.id }, { text: `  ${rule}`, dim: true }] });
    out.push(line(`      ${c.detail}`, {}, true, 6));
  }

  out.push(line(''), ...headerLines('Request headers', e.requestHeaders), line(''), ...headerLines('Response headers', e.responseHeaders));
  return out;
}

function explain(table: RouteTable, host: string, path: string, method: string, headers: Readonly<Record<string, string | string[] | undefined>>, scheme: 'http' | 'https'): Explanation {
  // As the proxy does: `HOST.localhost` routes as HOST when no rule names the full host.
  return routeWithAlias({ host, path, method, headers, scheme }, (r) => explainRequest(table, r)).match;
}

function findRule(table: RouteTable, id: string): { readonly rule: string; readonly source: SourcePosition } | null {
  if (table.defaultBackend?.id === id) return { rule: 'defaultBackend', source: table.defaultBackend.source };
  if (id.startsWith('httproute:')) {
    // `httproute:NS/NAME#rRULE.mMATCH`
    const dot = id.lastIndexOf('.m');
    const rule = table.gateway?.rules.find((r) => r.id === id.slice(0, dot));
    const match = rule?.matches.find((m) => m.index === Number(id.slice(dot + 2)));
    if (rule === undefined || match === undefined) return null;
    const filters = ruleFilters(rule);
    return { rule: `${rule.route.kind} ${rule.route.namespace}/${rule.route.name} rule ${rule.index}: ${formatMatch(match)}${filters === '' ? '' : `; ${filters}`}`, source: match.source };
  }
  const route = table.routes.find((r) => r.id === id);
  return route === undefined ? null : { rule: `${route.pathType} ${route.path} on ${route.host ?? 'any host'}`, source: route.source };
}

function headerLines(title: string, headers: Readonly<Record<string, string | string[] | undefined>>): Line[] {
  const names = Object.keys(headers);
  const out = [line(`${title} (${plural(names.length, 'header')})`, { bold: true })];
  for (const name of names) {
    const value = headers[name];
    const values = value === undefined ? [] : Array.isArray(value) ? value : [value];
    for (const v of values) out.push(line(`  ${name}: ${v}`, {}, true, 6));
  }
  return out;
}
