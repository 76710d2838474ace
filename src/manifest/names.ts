/**
 * Kubernetes object name rules (k8s.io/apimachinery/pkg/util/validation). The API server rejects
 * an object whose name breaks them, so ingress-dev does too.
 */

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dns1035Label = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const ianaServiceName = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

export type NameRule = 'dns1123-label' | 'dns1123-subdomain' | 'dns1035-label';

export function isValidName(name: string, rule: NameRule): boolean {
  switch (rule) {
    case 'dns1123-label':
      return name.length <= 63 && dns1123Label.test(name);
    case 'dns1123-subdomain':
      return name.length <= 253 && dns1123Subdomain.test(name);
    case 'dns1035-label':
      return name.length <= 63 && dns1035Label.test(name);
  }
}

export function describeNameRule(rule: NameRule): string {
  switch (rule) {
    case 'dns1123-label':
      return 'at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit';
    case 'dns1123-subdomain':
      return 'at most 253 lowercase letters, digits, "-" and ".", starting and ending with a letter or digit';
    case 'dns1035-label':
      return 'at most 63 lowercase letters, digits and "-", starting with a letter and ending with a letter or digit';
  }
}

/** A valid name close to `name`, for the hint (`My_App` → `my-app`); it always passes `isValidName`. */
export function suggestName(name: string, rule: NameRule): string {
  const label = (text: string) => text.replace(/[^a-z0-9-]+/g, '-').replace(/-{2,}/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
  const lower = name.toLowerCase();
  // Every label of a subdomain starts and ends with a letter or digit (`My.-App` → `my.app`).
  let s = rule === 'dns1123-subdomain'
    ? lower.split('.').map(label).filter((l) => l !== '').join('.').slice(0, 253).replace(/[^a-z0-9]+$/, '')
    : label(lower);
  if (rule === 'dns1035-label' && /^[0-9]/.test(s)) s = label(`s-${s}`);
  return s !== '' && isValidName(s, rule) ? s : 'my-name';
}

/**
 * IANA service name, the rule for Service port names used as `targetPort` (a container port name):
 * at most 15 characters, lowercase letters, digits and "-", at least one letter, no "--".
 */
export function isIanaServiceName(name: string): boolean {
  return name.length <= 15 && ianaServiceName.test(name) && /[a-z]/.test(name) && !name.includes('--');
}
