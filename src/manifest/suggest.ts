/**
 * "Did you mean ...?" for field names and enum values. Kubernetes decodes field names
 * case-sensitively, so `pathtype` is an unknown field that is silently dropped by the API server;
 * the least we can do is name the field that was meant.
 */

/** Levenshtein distance, bounded: returns `max + 1` as soon as the distance must exceed `max`. */
export function editDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > max) return max + 1;
    previous = current;
  }
  return previous[b.length] ?? max + 1;
}

/**
 * The known word closest to `word`, when it is close enough to be a likely typo: the same word in
 * another case (`pathtype`), a few edits (`namespce`), or a truncation (`ingressClass` for
 * `ingressClassName`). Candidates are ranked by edit distance; being a prefix only breaks ties,
 * so `pathTyp` is `pathType` (one edit), not `path` (three).
 * `truncations: false` leaves out the prefix rule (kinds: `Config` is not a short `ConfigMap`).
 */
export function suggestWord(word: string, known: readonly string[], options: { readonly truncations?: boolean } = {}): string | null {
  const lower = word.toLowerCase();
  const sameCase = known.find((k) => k.toLowerCase() === lower);
  if (sameCase !== undefined) return sameCase;
  const truncations = (options.truncations ?? true) && lower.length >= 4;
  const max = Math.max(1, Math.floor(word.length / 3));
  let best: { word: string; distance: number; prefix: boolean } | null = null;
  for (const k of known) {
    const candidate = k.toLowerCase();
    const prefix = truncations && (candidate.startsWith(lower) || lower.startsWith(candidate));
    // A truncation is a likely typo however many letters it lacks (its distance is the length
    // difference); anything else must be near.
    const distance = prefix ? Math.abs(candidate.length - lower.length) : editDistance(lower, candidate, max);
    if (!prefix && distance > max) continue;
    if (best === null || distance < best.distance || (distance === best.distance && prefix && !best.prefix)) {
      best = { word: k, distance, prefix };
    }
  }
  return best?.word ?? null;
}
