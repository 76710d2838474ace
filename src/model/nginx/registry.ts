import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { createDiagnostic } from '../../diagnostics/diagnostic.js';
import type { Ingress } from '../../manifest/types.js';
import { nginxAnnotationPrefix, type NginxAnnotation } from './annotation.js';
import { rewriteTarget } from './rewrite-target.js';
import { useRegex } from './use-regex.js';

/** The emulated annotations of one Ingress, read and checked. */
export interface NginxAnnotations {
  readonly useRegex: boolean;
  /** null when not set (or not valid). */
  readonly rewriteTarget: string | null;
}

/** Every annotation the `nginx` profile emulates. */
export const nginxAnnotations: readonly NginxAnnotation<unknown>[] = [useRegex, rewriteTarget];

export const emulatedAnnotationKeys: ReadonlySet<string> = new Set(nginxAnnotations.map((a) => `${nginxAnnotationPrefix}${a.name}`));

/** Reads the emulated annotations of an Ingress; a bad value is an error and the annotation is ignored. */
export function parseNginxAnnotations(ing: Ingress, diagnostics: Diagnostic[]): NginxAnnotations {
  const read = <T>(a: NginxAnnotation<T>, fallback: T): T => {
    const written = ing.metadata.annotations.get(`${nginxAnnotationPrefix}${a.name}`);
    if (written === undefined) return fallback;
    const parsed = a.parse(written.value);
    if (parsed.ok) return parsed.value;
    diagnostics.push(
      createDiagnostic('E_ANNOTATION_VALUE', 'error', `Ingress ${ing.metadata.namespace}/${ing.metadata.name}: ${nginxAnnotationPrefix}${a.name} ${parsed.error}; ingress-nginx ignores it, and so does ingress-dev`, written.at, parsed.hint),
    );
    return fallback;
  };
  const regex = read(useRegex, false);
  const target = read<string | null>(rewriteTarget, null);
  return { useRegex: regex, rewriteTarget: target === '' ? null : target };
}
