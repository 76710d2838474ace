import type { IngressClass } from './types.js';
import { checkFields, readObject, readString, type Field, type Scope } from './yaml-node.js';

export type IngressClassSpec = Pick<IngressClass, 'controller'>;

export const ingressClassApiVersions = ['networking.k8s.io/v1', 'networking.k8s.io/v1beta1'] as const;

/** The annotation that makes a class the default for Ingresses without one (value exactly "true"). */
export const defaultClassAnnotation = 'ingressclass.kubernetes.io/is-default-class';

export function parseIngressClassSpec(scope: Scope, specField: Field | undefined): IngressClassSpec {
  const spec = readObject(scope, specField, 'spec');
  if (spec === null) return { controller: null };
  checkFields(scope, spec, ['controller', 'parameters'], 'spec');
  const controller = readString(scope, spec.fields.get('controller'), 'spec.controller');
  return { controller: controller !== null && controller.value !== '' ? controller.value : null };
}
