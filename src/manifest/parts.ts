/**
 * Cutting a manifest file into parts at its `---` lines, so that a file of many documents can be
 * read part by part and an edit re-reads only the parts it changed (hot reload of one big file).
 */

export interface FilePart {
  /** The part's text: from its `---` line (none for the first part) to the next one. */
  readonly text: string;
  /** The file line the part starts on, 1-based. */
  readonly firstLine: number;
}

/** `---` alone on its line, or followed by blanks and a comment: always a document start. */
const markerRest = /^(?:[ \t]+(?:#[^\r\n]*)?)?\r?$/;

/**
 * The file's parts, or null when cutting it is not certain to read as the whole file does: a
 * `%` directive line (it applies to the documents after it), a `...` line (document end marker),
 * or a carriage return or Unicode line separator that is not part of a CRLF. Lines are split at
 * "\n" only, as YAML counts them. Whether a part ends inside a quote or bracket is found when it
 * is read (YAML reports an error there, and the caller reads the whole file instead).
 */
export function splitAtDocumentMarkers(text: string): FilePart[] | null {
  if (/\r(?!\n)|[\u2028\u2029]/.test(text)) return null;
  const parts: FilePart[] = [];
  let partStart = 0;
  let partLine = 1;
  let line = 1;
  for (let start = 0; start < text.length; line++) {
    const newline = text.indexOf('\n', start);
    const end = newline === -1 ? text.length : newline;
    const first = text.charCodeAt(start);
    if (first === 0x25 /* % */ || text.startsWith('...', start)) return null;
    if (start > 0 && text.startsWith('---', start) && markerRest.test(text.slice(start + 3, end))) {
      parts.push({ text: text.slice(partStart, start), firstLine: partLine });
      partStart = start;
      partLine = line;
    }
    if (newline === -1) break;
    start = newline + 1;
  }
  parts.push({ text: text.slice(partStart), firstLine: partLine });
  return parts;
}
