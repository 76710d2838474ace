/**
 * Host validation as the Kubernetes API server does it for `spec.rules[].host`: a lower-case
 * DNS-1123 subdomain, optionally with `*.` as the whole first label; never an IP address.
 */
export type HostProblem =
  | { readonly kind: 'ip' }
  | { readonly kind: 'uppercase'; readonly lower: string }
  | { readonly kind: 'port' }
  | { readonly kind: 'wildcard-position' }
  | { readonly kind: 'invalid-label'; readonly label: string }
  | { readonly kind: 'too-long' };

const labelPattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const ipv4Pattern = /^\d{1,3}(\.\d{1,3}){3}$/;

export function checkHost(host: string): HostProblem | null {
  if (ipv4Pattern.test(host) || host.includes(':') && /^[0-9a-fA-F:.[\]]+$/.test(host)) return { kind: 'ip' };
  if (/:\d*$/.test(host)) return { kind: 'port' };
  if (host !== host.toLowerCase()) return { kind: 'uppercase', lower: host.toLowerCase() };
  if (host.length > 253) return { kind: 'too-long' };
  const labels = host.split('.');
  for (const [i, label] of labels.entries()) {
    if (label.includes('*')) {
      if (i !== 0 || label !== '*' || labels.length < 2) return { kind: 'wildcard-position' };
      continue;
    }
    if (label.length > 63 || !labelPattern.test(label)) return { kind: 'invalid-label', label };
  }
  return null;
}

/**
 * A valid host close to `host`, for a hint (`App_Example.com:80` → `app-example.com`), or null
 * when none is near. It passes `checkHost`: a hint must never propose what check refuses.
 */
export function suggestHost(host: string): string | null {
  const labels = host.replace(/:\d*$/, '').replace(/\.$/, '').toLowerCase().split('.');
  const fixed = labels
    .map((label, i) => (i === 0 && label === '*' ? label : label.replace(/[^a-z0-9-]+/g, '-').replace(/-{2,}/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '')))
    .filter((label) => label !== '');
  const suggestion = fixed.join('.');
  return suggestion !== '' && suggestion !== host && checkHost(suggestion) === null ? suggestion : null;
}

export function isWildcardHost(host: string): boolean {
  return host.startsWith('*.');
}

/** The lower-case host with a trailing dot removed: how requests and rules are compared. */
export function normalizeRuleHost(host: string): string {
  const lower = host.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}
