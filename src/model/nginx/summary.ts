import type { Ingress } from '../../manifest/types.js';
import type { ProfileChoice } from '../types.js';
import { nginxAnnotationPrefix } from './annotation.js';
import { knownNginxAnnotations } from './known-annotations.js';
import { criticalAnnotations, emulatedAnnotationKeys } from './registry.js';

/**
 * What the ingress-nginx annotations of a folder come to, for `check`: how many Ingresses of the
 * `nginx` profile use each annotation, split into those ingress-dev emulates, those it does not,
 * the snippets that make ingress-nginx refuse the Ingress, and keys that are no annotation of
 * ingress-nginx at all (the diagnostics say where each is).
 */
export interface NginxAnnotationSummary {
  /** Ingresses of the nginx profile. */
  readonly ingresses: number;
  /** Annotation name (without the prefix) → how many Ingresses carry it; names in alphabetical order. */
  readonly emulated: Readonly<Record<string, number>>;
  readonly notEmulated: Readonly<Record<string, number>>;
  readonly refused: Readonly<Record<string, number>>;
  readonly unknown: Readonly<Record<string, number>>;
}

const known: ReadonlySet<string> = new Set(knownNginxAnnotations.map((a) => a.name));

export function summarizeNginxAnnotations(ingresses: readonly Ingress[], profiles: ReadonlyMap<string, ProfileChoice>): NginxAnnotationSummary {
  const counts = { emulated: new Map<string, number>(), notEmulated: new Map<string, number>(), refused: new Map<string, number>(), unknown: new Map<string, number>() };
  let count = 0;
  for (const ing of ingresses) {
    if (profiles.get(`${ing.metadata.namespace}/${ing.metadata.name}`)?.profile !== 'nginx') continue;
    count++;
    for (const key of ing.metadata.annotations.keys()) {
      if (!key.startsWith(nginxAnnotationPrefix)) continue;
      const name = key.slice(nginxAnnotationPrefix.length);
      const kind = criticalAnnotations.has(key) ? 'refused' : emulatedAnnotationKeys.has(key) ? 'emulated' : known.has(name) ? 'notEmulated' : 'unknown';
      counts[kind].set(name, (counts[kind].get(name) ?? 0) + 1);
    }
  }
  const sorted = (m: ReadonlyMap<string, number>) => Object.fromEntries([...m].toSorted(([a], [b]) => a.localeCompare(b)));
  return { ingresses: count, emulated: sorted(counts.emulated), notEmulated: sorted(counts.notEmulated), refused: sorted(counts.refused), unknown: sorted(counts.unknown) };
}

/** `affinity ×2, session-cookie-name`: each name, with how many Ingresses carry it when more than one. */
export function formatAnnotationCounts(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts).map(([name, n]) => (n > 1 ? `${name} ×${n}` : name)).join(', ');
}
