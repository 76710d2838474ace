import { describe, expect, it } from 'vitest';
import { editDistance, suggestWord } from './suggest.js';

describe('suggestWord', () => {
  const pathFields = ['path', 'pathType', 'backend'];
  const metadataFields = ['name', 'namespace', 'labels', 'annotations', 'generateName'];

  // issue 10, item 6: a prefix of the typo used to win over the closest field.
  it.each([
    ['pathTyp', pathFields, 'pathType'],
    ['namespce', metadataFields, 'namespace'],
    ['pathtype', pathFields, 'pathType'],
    ['ingressClass', ['ingressClassName', 'defaultBackend', 'rules', 'tls'], 'ingressClassName'],
    ['selecter', ['selector', 'ports', 'type'], 'selector'],
    ['Prefx', ['Prefix', 'Exact', 'ImplementationSpecific'], 'Prefix'],
  ])('%s → %s', (typo, known, meant) => {
    expect(suggestWord(typo, known)).toBe(meant);
  });

  it('prefers a prefix only among candidates at the same distance', () => {
    // "hosts" is one edit from both "host" (a prefix) and "posts".
    expect(suggestWord('hosts', ['posts', 'host'])).toBe('host');
  });

  it('suggests nothing when no word is near', () => {
    expect(suggestWord('replicas', pathFields)).toBeNull();
  });

  it('can leave truncations out', () => {
    expect(suggestWord('Config', ['ConfigMap', 'Secret'])).toBe('ConfigMap');
    expect(suggestWord('Config', ['ConfigMap', 'Secret'], { truncations: false })).toBeNull();
  });
});

describe('editDistance', () => {
  it('counts insertions, deletions and substitutions, and stops above the bound', () => {
    expect(editDistance('namespce', 'namespace')).toBe(1);
    expect(editDistance('namespce', 'name')).toBe(4);
    expect(editDistance('namespce', 'name', 2)).toBe(3);
  });
});
