import type { NginxLocation, NginxServer, RouteTable } from '../model/types.js';
import type { Candidate, Match } from './types.js';
import type { Losses } from './explain.js';

/**
 * Why every location of an ingress-nginx server other than the one nginx chose lost, in nginx
 * terms (a location's name and modifier, its place in the order, the URI nginx matched), and
 * the facts that shaped the choice: the profile and why, the host-wide regex and which
 * Ingress turned it on, the normalised URI, the rewrite with its groups, the 301.
 */
export function explainNginxLosses(table: RouteTable, match: Match, server: NginxServer): Losses {
  const decision = match.nginx;
  const notes: string[] = [];
  const winnerRoute = match.route;
  const ingressKey = winnerRoute === null ? null : `${winnerRoute.ingress.namespace}/${winnerRoute.ingress.name}`;
  const choice = ingressKey === null ? null : table.ingressProfiles.get(ingressKey);
  notes.push(`routed as ingress-nginx v1.15 does (profile nginx${choice === undefined || choice === null ? '' : `: ${choice.why}`})`);
  if (server.regex) notes.push(`every path of this host is a case-insensitive regex anchored at the start, because ${server.regexBecause ?? 'of an annotation'}; the first in nginx's order that matches wins`);
  if (decision === null || decision.kind === 'bad-request') {
    if (decision?.kind === 'bad-request') notes.push(`nginx answers 400 before routing: ${decision.why}`);
    return { candidates: [], notes };
  }
  const uri = decision.uri;
  const asSent = requestPath(match);
  if (asSent !== null && asSent !== uri) notes.push(`nginx matched the normalised URI ${uri} (decoded, slashes merged, dot segments resolved); the backend gets the path as sent`);
  const chosen = decision.location;
  if (decision.kind === 'redirect') notes.push(`no location is ${uri} exactly, and ${chosen.directive} ends in /: nginx answers 301 to ${decision.to}`);
  if (decision.kind === 'location' && decision.rewrite !== null) {
    const groups = decision.rewrite.groups.map((g, i) => `$${i + 1}=${JSON.stringify(g)}`).join(' ');
    notes.push(`rewrite-target ${chosen.rewrite?.target ?? ''}: ${decision.rewrite.from} → ${decision.rewrite.to}${groups === '' ? '' : ` (${groups})`}; the query string follows`);
  }
  if (chosen.route === null) notes.push(`${chosen.directive} is the host's root location: ${server.rootBackend === null ? "ingress-nginx's default backend answers 404" : `the defaultBackend of ${server.rootBackend.id}`}`);

  const candidates: Candidate[] = [];
  const order = server.locations.indexOf(chosen);
  server.locations.forEach((l, i) => {
    if (l === chosen) return;
    const detail = lossOf(l, i, order, uri, server.regex, chosen);
    candidates.push({ id: l.route?.id ?? `${match.hostMatch.host ?? '_'} root`, host: l.route?.host ?? match.hostMatch.host, path: l.name, pathType: l.route?.pathType ?? null, ...detail });
  });
  return { candidates, notes };
}

function lossOf(l: NginxLocation, index: number, chosenAt: number, uri: string, regex: boolean, chosen: NginxLocation): Pick<Candidate, 'reason' | 'detail'> {
  const what = `${l.directive}${l.note === null ? '' : ` (${l.note})`}`;
  if (regex) {
    const matches = l.regex?.test(uri) === true;
    if (matches && index > chosenAt) return { reason: 'nginx-later-regex', detail: `${what} matches ${uri} too, but comes later in nginx's order (longer paths first): ${chosen.directive} matched first` };
    return { reason: 'nginx-no-match', detail: `${what} does not match ${uri} (case-insensitive, from the start)` };
  }
  if (l.modifier === '=') return { reason: 'nginx-no-match', detail: `${what} matches only ${l.name} exactly` };
  if (uri.startsWith(l.name)) return { reason: 'nginx-shorter-prefix', detail: `${what} is a prefix of ${uri}, but ${chosen.directive} is longer (or exact)` };
  if (uri.toLowerCase().startsWith(l.name.toLowerCase())) return { reason: 'nginx-no-match', detail: `${what} is not a prefix of ${uri}: without regex, nginx compares case-sensitively` };
  return { reason: 'nginx-no-match', detail: `${what} is not a prefix of ${uri}` };
}

/** The path part of what the request sent, when the match knows it. */
function requestPath(match: Match): string | null {
  const sent = match.upstreamPath;
  if (sent === null || match.nginx?.kind !== 'location' || match.nginx.rewrite !== null) return null;
  const q = sent.indexOf('?');
  return q === -1 ? sent : sent.slice(0, q);
}
