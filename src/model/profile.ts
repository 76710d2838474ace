import type { Ingress, IngressClass } from '../manifest/types.js';
import type { Profile, ProfileChoice } from './types.js';

/** The controller name ingress-nginx claims IngressClasses with (its `--controller-class` default). */
export const nginxController = 'k8s.io/ingress-nginx';

/**
 * Which controller's behaviour routes an Ingress. `override` (`--profile`, `profile:` in
 * ingress-dev.yaml) decides for the whole folder. Otherwise ingress-nginx's own rules for the
 * Ingresses it serves (internal/ingress/controller/store/store.go GetIngressClass, and
 * ingressclass/ingressclass.go: controller `k8s.io/ingress-nginx`, annotation value `nginx`):
 *
 * - `spec.ingressClassName` naming an IngressClass of the folder whose `spec.controller` is
 *   `k8s.io/ingress-nginx`;
 * - `spec.ingressClassName: nginx` when the folder has no IngressClass of that name (the one the
 *   ingress-nginx chart installs);
 * - the legacy annotation `kubernetes.io/ingress.class: nginx` (ingress-nginx still reads it);
 * - no class at all, when the folder's default IngressClass is ingress-nginx's (the API server
 *   writes the default class into new Ingresses).
 *
 * Everything else is routed by the Kubernetes specification (`spec`); an Ingress without a class
 * and no default class is not served by ingress-nginx (`--watch-ingress-without-class` is false
 * by default).
 */
export function chooseProfile(ing: Ingress, classes: readonly IngressClass[], override: Profile | null, overrideSource: string): ProfileChoice {
  if (override !== null) return { profile: override, why: overrideSource };
  const className = ing.ingressClassName?.value ?? null;
  if (className !== null) {
    const cls = classes.find((c) => c.metadata.name === className);
    if (cls !== undefined) {
      return cls.controller === nginxController
        ? { profile: 'nginx', why: `IngressClass ${className} (controller ${nginxController})` }
        : { profile: 'spec', why: `IngressClass ${className} (controller ${cls.controller ?? 'not set'}: the Kubernetes specification)` };
    }
    return className === 'nginx'
      ? { profile: 'nginx', why: 'ingressClassName nginx (the class ingress-nginx installs; no IngressClass nginx in the folder)' }
      : { profile: 'spec', why: `ingressClassName ${className} (not ingress-nginx's: the Kubernetes specification)` };
  }
  const annotation = ing.classAnnotation?.value ?? null;
  if (annotation !== null) {
    return annotation === 'nginx'
      ? { profile: 'nginx', why: 'annotation kubernetes.io/ingress.class: nginx' }
      : { profile: 'spec', why: `annotation kubernetes.io/ingress.class: ${annotation} (not ingress-nginx's: the Kubernetes specification)` };
  }
  const defaults = classes.filter((c) => c.isDefault);
  if (defaults.length === 1 && defaults[0]?.controller === nginxController) {
    return { profile: 'nginx', why: `no class: the default IngressClass ${defaults[0].metadata.name} (controller ${nginxController})` };
  }
  return { profile: 'spec', why: 'no class: the Kubernetes specification' };
}
