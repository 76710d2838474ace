import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { mergeParsedFiles, parseSourceFile, parseSourceFileReusing, type PartCache } from './parse.js';
import { splitAtDocumentMarkers } from './parts.js';

/**
 * Reading a file part by part (hot reload of one big file) must give exactly what reading it
 * whole gives: the same resources, the same diagnostics at the same file:line:col.
 */

const ingress = (name: string, host: string, path = '/'): string =>
  `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
spec:
  rules:
    - host: ${host}
      http:
        paths:
          - path: ${path}
            pathType: Prefix
            backend:
              service:
                name: web
                port:
                  number: 80
`;

const service = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n    - port: 80\n      targetPort: 8080\n';

const files: Record<string, string> = {
  plain: `${ingress('a', 'a.example.com')}---\n${ingress('b', 'b.example.com')}---\n${service}`,
  comments: `# leading comment\n${ingress('a', 'a.example.com')}# trailing comment of a\n--- # second\n# before b\n${ingress('b', 'b.example.com')}---\t\n${service}# end\n`,
  leadingMarker: `---\n${ingress('a', 'a.example.com')}---\n${service}`,
  emptyDocuments: `---\n---\n${ingress('a', 'a.example.com')}---\n\n---\n# only a comment\n---\n${service}---\n`,
  syntaxError: `${ingress('a', 'a.example.com')}---\napiVersion: v1\nkind: Service\nmetadata: {name: [broken\n---\n${service}`,
  unclosedQuote: `${ingress('a', 'a.example.com')}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: "web\n---\n${service}`,
  unclosedFlow: `apiVersion: v1\nkind: List\nitems: [\n---\n${service}`,
  list: `apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Service\n    metadata: {name: one}\n    spec: {ports: [{port: 80}]}\n  - kind: Service\n    metadata: {name: two}\n---\n${service}---\napiVersion: v1\nkind: ServiceList\nitems:\n  - ${service.replace(/\n(?!$)/g, '\n    ').replace('name: web', 'name: three')}`,
  duplicates: `${service}---\n${service}---\n${ingress('a', 'a.example.com')}---\n${ingress('a', 'b.example.com')}`,
  diagnostics: `apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: Old_Name\nspec:\n  backend: {serviceName: web, servicePort: 80}\n---\nkind: Service\n---\n- a list\n---\nplain\n---\napiVersion: v1\nkind: Gadget\nmetadata: {name: g}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {a: 1}\n`,
  aliases: `apiVersion: v1\nkind: Service\nmetadata: &m {name: web}\nspec: {ports: [{port: 80}]}\n---\napiVersion: v1\nkind: Service\nmetadata: *m\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, labels: &l {a: b}}\ndata: *l\n`,
  blockScalars: `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  a: |\n    text\n---\n--- |\n  top level\n---\nplain top\nlevel\n---\n${service}`,
  otherTools: `name: ci\non: push\n---\njobs: {}\n`,
  directives: `%YAML 1.2\n---\n${service}---\n${ingress('a', 'a.example.com')}`,
  documentEnd: `${service}...\n---\n${ingress('a', 'a.example.com')}`,
  crlf: `${service.replace(/\n/g, '\r\n')}---\r\n${ingress('a', 'a.example.com').replace(/\n/g, '\r\n')}`,
  tabs: `${service}---\napiVersion: v1\nkind: Service\nmetadata:\n\tname: tabbed\n---\n${ingress('a', 'a.example.com')}`,
  markerLookalikes: `${service}---x: 1\n----\n--- {a: 1}\n---#c\n---\n${ingress('a', 'a.example.com')}`,
};

function whole(file: string, text: string) {
  return mergeParsedFiles([parseSourceFile({ file, text })]);
}

function parts(file: string, text: string, previous?: PartCache) {
  const { parsed, cache } = parseSourceFileReusing({ file, text }, previous);
  return { result: mergeParsedFiles([parsed]), parsed, cache };
}

describe('parseSourceFileReusing', () => {
  test.each(Object.entries(files))('%s: reading part by part equals reading the whole file', (name, text) => {
    const file = `${name}.yaml`;
    expect(parts(file, text).parsed).toStrictEqual(parseSourceFile({ file, text }));
    expect(parts(file, text).result).toStrictEqual(whole(file, text));
  });

  test('files of many documents without YAML problems are read part by part', () => {
    for (const name of ['plain', 'comments', 'leadingMarker', 'emptyDocuments', 'list', 'duplicates', 'diagnostics', 'aliases', 'blockScalars', 'otherTools', 'crlf']) {
      expect(parts(name, files[name] ?? '').cache.parts.size, name).toBeGreaterThan(1);
    }
    for (const name of ['syntaxError', 'unclosedQuote', 'unclosedFlow', 'directives', 'documentEnd', 'tabs', 'markerLookalikes']) {
      expect(parts(name, files[name] ?? '').cache.parts.size, name).toBe(0);
    }
  });

  test('files with directives, document end markers or lone carriage returns are not cut', () => {
    expect(splitAtDocumentMarkers(files['directives'] ?? '')).toBeNull();
    expect(splitAtDocumentMarkers(files['documentEnd'] ?? '')).toBeNull();
    expect(splitAtDocumentMarkers('a: 1\r---\rb: 2\r')).toBeNull();
    expect(splitAtDocumentMarkers(files['markerLookalikes'] ?? '')?.map((p) => p.firstLine)).toEqual([1, 13]);
  });

  test('an edit in place re-reads only the edited document, and equals a fresh parse', () => {
    const text = [0, 1, 2, 3].map((i) => ingress(`i${i}`, `h${i}.example.com`)).join('---\n');
    const first = parts('big.yaml', text);
    const edited = text.replace('h2.example.com', 'h2b.example.com');
    const second = parts('big.yaml', edited, first.cache);
    expect(second.parsed).toStrictEqual(parseSourceFile({ file: 'big.yaml', text: edited }));
    // Unchanged documents keep their resources (the same objects, not re-read).
    expect(second.parsed.entries[0]?.resource).toBe(first.parsed.entries[0]?.resource);
    expect(second.parsed.entries[3]?.resource).toBe(first.parsed.entries[3]?.resource);
    expect(second.parsed.entries[2]?.resource).not.toBe(first.parsed.entries[2]?.resource);
  });

  test('an edit that adds lines moves the documents below it to their new lines', () => {
    const text = `${ingress('a', 'a.example.com')}---\n${ingress('b', 'b.example.com')}---\n${service}`;
    const first = parts('f.yaml', text);
    const edited = text.replace('name: a\n', 'name: a\n  labels:\n    x: y\n');
    const second = parts('f.yaml', edited, first.cache);
    expect(second.parsed).toStrictEqual(parseSourceFile({ file: 'f.yaml', text: edited }));
    expect(second.result.resources.services[0]?.metadata.nameAt?.line).toBe(whole('f.yaml', edited).resources.services[0]?.metadata.nameAt?.line);
  });

  // 400 runs of real parses: seconds of CPU on a shared 2-core machine, so more than the default 5 s.
  test('random edits of a many-document file give what a fresh parse gives', { timeout: 60_000 }, () => {
    const pieces = [
      service,
      service.replace('web', 'api'),
      ingress('a', 'a.example.com'),
      ingress('b', '*.example.com'),
      'apiVersion: v1\nkind: List\nitems:\n  - kind: Service\n    apiVersion: v1\n    metadata: {name: l}\n',
      '# a comment\n',
      '',
      'kind: Service\n',
      'apiVersion: v1\nkind: Service\nmetadata: {name: "unclosed\n',
      'items: [\n',
      'key: |\n  block\n',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: &x b, c: *x, d: *y}\n',
      'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  name: twice\n',
      '...\n',
      '%YAML 1.2\n',
    ];
    const markers = ['---\n', '--- # c\n', '---  \n', '---\t# t\n', '--- {}\n'];
    const documentArb = fc.tuple(fc.constantFrom(...markers), fc.constantFrom(...pieces)).map(([m, p]) => m + p);
    const fileArb = fc.tuple(fc.constantFrom(...pieces), fc.array(documentArb, { minLength: 1, maxLength: 8 })).map(([head, rest]) => head + rest.join(''));
    const editArb = fc.record({
      at: fc.nat(),
      remove: fc.nat({ max: 12 }),
      insert: fc.constantFrom('', 'x', '\n', ' ', '---\n', '\n---\n', 'name: z\n', '  ', '"', '[', '#', ': ', '\t'),
    });
    fc.assert(
      fc.property(fileArb, fc.array(editArb, { minLength: 1, maxLength: 4 }), (text, edits) => {
        let current = text;
        let state = parts('r.yaml', current);
        expect(state.parsed).toStrictEqual(parseSourceFile({ file: 'r.yaml', text: current }));
        for (const edit of edits) {
          const at = edit.at % (current.length + 1);
          current = current.slice(0, at) + edit.insert + current.slice(at + edit.remove);
          state = parts('r.yaml', current, state.cache);
          expect(state.parsed).toStrictEqual(parseSourceFile({ file: 'r.yaml', text: current }));
        }
      }),
      { numRuns: 400 },
    );
  });
});
