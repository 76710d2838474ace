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
 * another case (`pathtype`), a truncation (`ingressClass` for `ingressClassName`), or a few edits.
 */
export function suggestWord(word: string, known: readonly string[]): string | null {
  const lower = word.toLowerCase();
  const sameCase = known.find((k) => k.toLowerCase() === lower);
  if (sameCase !== undefined) return sameCase;
  if (lower.length >= 4) {
    const prefix = known.find((k) => k.toLowerCase().startsWith(lower) || lower.startsWith(k.toLowerCase()));
    if (prefix !== undefined) return prefix;
  }
  const max = Math.max(1, Math.floor(word.length / 3));
  let best: string | null = null;
  let bestDistance = max + 1;
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase(), max);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}
