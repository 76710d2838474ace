import { isMap, isScalar, LineCounter, parseDocument, type Node as YamlNode, type Pair } from 'yaml';
import { createDiagnostic, type Diagnostic, type SourcePosition } from '../diagnostics/diagnostic.js';
import { suggestWord } from './suggest.js';

/**
 * The optional project config file, `ingress-dev.yaml`:
 *
 *     listen: { host: 127.0.0.1, http: 8080, https: 8443 }   # https: false turns HTTPS off
 *     profile: auto                 # auto | spec | nginx
 *     services:
 *       httpbin: 3000               # every port of Service httpbin → 127.0.0.1:3000
 *       api:
 *         http: http://127.0.0.1:4000   # by service port name or number
 *       stub: echo
 *     unmapped: echo                # what Services without a mapping get: echo | error (503)
 *     timeouts: { connect: 5s, read: 60s, send: 60s }
 *     docker: auto                  # auto | off
 *     run: false                    # start Deployments/StatefulSets/Pods as containers
 *     implicitGateway: false        # serve HTTPRoutes whose Gateway is not in the folder
 *     manifests:                    # instead of the folder's YAML (paths relative to this file):
 *       files: [k8s/app.yaml]       #   these files (or folders)
 *       kustomize: overlays/dev     #   a kustomization's render
 *       helm: { chart: ./chart, values: [values-dev.yaml], set: [image.tag=dev], release: web, namespace: shop }
 *     build:                        # images `up --run` builds instead of pulling (paths relative to this file)
 *       watch: true                 #   a change in a context rebuilds its image (default)
 *       images:
 *         shop/web: ./web           #   image (any tag, or the tag written) → build context
 *         api: { context: ./api, dockerfile: Dockerfile.dev, target: dev, args: { NODE_ENV: development } }
 *
 * Plain data with positions; targets are checked by backends/ (which knows what a target is).
 */
export interface ConfigMapping {
  /** `[NAMESPACE/]SERVICE[:PORT]` as a selector string. */
  readonly selector: string;
  readonly target: string;
  readonly at: SourcePosition;
}

/** One `build.images` entry: the image a workload names, and how to build it. */
export interface ConfigBuildImage {
  /** `shop/web` (matches any tag) or `shop/web:dev` (that tag only). */
  readonly image: string;
  /** As written, relative to the config file. */
  readonly context: string;
  /** Relative to the context; default `Dockerfile`. */
  readonly dockerfile: string;
  readonly target: string | null;
  readonly args: Readonly<Record<string, string>>;
  readonly at: SourcePosition;
}

export interface ConfigBuild {
  readonly watch: boolean;
  readonly images: readonly ConfigBuildImage[];
}

export interface ConfigManifests {
  readonly files: readonly { readonly path: string; readonly at: SourcePosition }[];
  readonly kustomize: { readonly dir: string; readonly at: SourcePosition } | null;
  readonly helm: {
    readonly chart: string;
    readonly values: readonly string[];
    readonly set: readonly string[];
    readonly release: string | null;
    readonly namespace: string | null;
    readonly at: SourcePosition;
  } | null;
}

export interface ProjectConfig {
  readonly file: string;
  readonly listen: { readonly host?: string; readonly http?: number; readonly https?: number | false };
  readonly profile?: 'auto' | 'spec' | 'nginx';
  readonly mappings: readonly ConfigMapping[];
  readonly unmapped?: 'echo' | 'error';
  readonly timeouts: { readonly connectMs?: number; readonly readMs?: number; readonly sendMs?: number };
  /** `docker: off` disables Docker discovery; `auto` (the default) uses an engine when there is one. */
  readonly docker?: 'auto' | 'off';
  /** `run: true` starts the folder's Deployments, StatefulSets and Pods as containers (`up --run`). */
  readonly run?: boolean;
  /** `implicitGateway: true` serves HTTPRoutes whose Gateway is not in the folder on an implicit one (`--implicit-gateway`). */
  readonly implicitGateway?: boolean;
  /** `manifests:` where the manifests come from instead of the folder's YAML; paths as written. */
  readonly manifests?: ConfigManifests;
  /** `build:` images `up --run` builds from a context instead of pulling. */
  readonly build?: ConfigBuild;
  /**
   * `nginx:` the keys of ingress-nginx's controller ConfigMap the cluster sets, as written (the
   * profile nginx reads and checks them: model/nginx/config.ts).
   */
  readonly nginx?: readonly { readonly key: string; readonly value: string; readonly at: SourcePosition }[];
}

export const configFileNames = ['ingress-dev.yaml', 'ingress-dev.yml'] as const;

const topKeys = ['listen', 'profile', 'services', 'unmapped', 'timeouts', 'docker', 'run', 'implicitGateway', 'nginx', 'manifests', 'build'];

export function parseConfig(text: string, file: string): { config: ProjectConfig; diagnostics: Diagnostic[] } {
  const lineCounter = new LineCounter();
  const diagnostics: Diagnostic[] = [];
  const at = (node: YamlNode | null | undefined): SourcePosition => {
    const [start, end] = node?.range ?? [0, 0];
    const a = lineCounter.linePos(start);
    const b = lineCounter.linePos(end);
    return a.line === b.line && end > start ? { file, line: a.line, col: a.col, endLine: b.line, endCol: b.col } : { file, line: a.line, col: a.col };
  };
  const error = (message: string, node: YamlNode | null | undefined, hint: string) =>
    diagnostics.push(createDiagnostic('E_CONFIG', 'error', message, at(node), hint));
  const mappings: ConfigMapping[] = [];
  const listen: { host?: string; http?: number; https?: number | false } = {};
  const timeouts: { connectMs?: number; readMs?: number; sendMs?: number } = {};
  let profile: ProjectConfig['profile'];
  let unmapped: ProjectConfig['unmapped'];
  let docker: ProjectConfig['docker'];
  let run: ProjectConfig['run'];
  let implicitGateway: ProjectConfig['implicitGateway'];
  let nginx: { key: string; value: string; at: SourcePosition }[] | undefined;
  let manifests: ConfigManifests | undefined;
  let build: ConfigBuild | undefined;
  const result = () => ({ config: { file, listen, profile, mappings, unmapped, timeouts, docker, run, ...(implicitGateway === undefined ? {} : { implicitGateway }), ...(nginx === undefined ? {} : { nginx }), ...(manifests === undefined ? {} : { manifests }), ...(build === undefined ? {} : { build }) }, diagnostics });

  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  for (const e of doc.errors) {
    const pos = lineCounter.linePos(e.pos[0]);
    diagnostics.push(createDiagnostic('E_YAML_SYNTAX', 'error', e.message.split('\n')[0] ?? 'YAML syntax error', { file, line: pos.line, col: pos.col },
      'Fix the YAML syntax of the config file; nothing in it is applied until then.'));
  }
  if (doc.errors.length > 0) return result();
  const root = doc.contents as YamlNode | null;
  if (root === null || (isScalar(root) && root.value === null)) return result();
  if (!isMap(root)) {
    error('The config file must be a mapping', root, 'Start with keys such as "services:" or "listen:".');
    return result();
  }
  for (const pair of root.items as Pair<YamlNode, YamlNode>[]) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    const value = pair.value;
    switch (key) {
      case 'listen':
        readMap(value, 'listen', ['host', 'http', 'https'], (k, v) => {
          if (k === 'host') {
            if (isScalar(v) && typeof v.value === 'string' && v.value !== '') listen.host = v.value;
            else error('listen.host must be an address such as 127.0.0.1', v, 'Write listen: { host: 127.0.0.1 }.');
          } else if (k === 'http') {
            const port = isScalar(v) ? Number(v.value) : NaN;
            if (Number.isInteger(port) && port >= 0 && port <= 65535) listen.http = port;
            else error('listen.http must be a port number (0 picks a free port)', v, 'Write listen: { http: 8080 }.');
          } else {
            // false (or off) turns the HTTPS listener off, as --no-https does.
            const off = isScalar(v) && (v.value === false || v.value === 'off');
            const port = isScalar(v) ? Number(v.value) : NaN;
            if (off) listen.https = false;
            else if (isScalar(v) && typeof v.value !== 'boolean' && Number.isInteger(port) && port >= 0 && port <= 65535) listen.https = port;
            else error('listen.https must be a port number (0 picks a free port) or false', v, 'Write listen: { https: 8443 }, or https: false to serve plain HTTP only.');
          }
        });
        break;
      case 'profile':
        if (isScalar(value) && (value.value === 'auto' || value.value === 'spec' || value.value === 'nginx')) profile = value.value;
        else error('profile must be auto, spec or nginx', value, 'auto routes each Ingress by its class (nginx-class Ingresses as ingress-nginx does); spec or nginx routes every Ingress alike.');
        break;
      case 'unmapped':
        if (isScalar(value) && (value.value === 'echo' || value.value === 'error')) unmapped = value.value;
        else error('unmapped must be echo or error', value, 'echo answers unmapped Services with the built-in echo; error answers 503 with how to map them.');
        break;
      case 'services':
        readServices(value);
        break;
      case 'timeouts':
        readMap(value, 'timeouts', ['connect', 'read', 'send'], (k, v) => {
          const ms = isScalar(v) ? parseDuration(v.value) : null;
          if (ms === null) error(`timeouts.${k} must be a duration such as 5s, 500ms or 1m`, v, 'Write timeouts: { read: 60s }.');
          else timeouts[`${k}Ms` as 'connectMs' | 'readMs' | 'sendMs'] = ms;
        });
        break;
      case 'docker':
        if (isScalar(value) && (value.value === 'auto' || value.value === 'off')) docker = value.value;
        else error('docker must be auto or off', value, 'auto routes Services to matching containers when an engine runs; off never asks Docker.');
        break;
      case 'nginx':
        // A ConfigMap's data: every value is a string; YAML booleans and numbers are taken as written.
        if (isMap(value)) {
          nginx = [];
          for (const item of value.items as Pair<YamlNode, YamlNode>[]) {
            const k = isScalar(item.key) ? String(item.key.value) : '';
            const v = item.value;
            if (isScalar(v) && v.value !== null && ['string', 'number', 'boolean'].includes(typeof v.value)) nginx.push({ key: k, value: String(v.value), at: at(v) });
            else error(`nginx.${k} must be a value, as in the controller ConfigMap`, v ?? item.key, `Write ${k}: "…" (ConfigMap values are strings).`);
          }
        } else error('nginx must be a mapping of ingress-nginx ConfigMap keys', value, 'Write nginx: { ssl-redirect: "false", proxy-body-size: 8m }.');
        break;
      case 'run':
        if (isScalar(value) && typeof value.value === 'boolean') run = value.value;
        else error('run must be true or false', value, 'run: true starts the Deployments, StatefulSets and Pods of the folder as containers, like --run.');
        break;
      case 'implicitGateway':
        if (isScalar(value) && typeof value.value === 'boolean') implicitGateway = value.value;
        else error('implicitGateway must be true or false', value, 'implicitGateway: true serves HTTPRoutes whose Gateway is not in the folder on the HTTP and HTTPS ports, like --implicit-gateway.');
        break;
      case 'manifests':
        manifests = readManifests(value);
        break;
      case 'build':
        build = readBuild(value);
        break;
      default: {
        const near = suggestWord(key, topKeys);
        error(`Unknown key "${key}" in the config file`, pair.key, near !== null ? `Did you mean "${near}"? Keys: ${topKeys.join(', ')}.` : `Keys: ${topKeys.join(', ')}.`);
      }
    }
  }
  return result();

  function readMap(node: YamlNode | null, name: string, keys: readonly string[], each: (key: string, value: YamlNode | null) => void): void {
    if (!isMap(node)) {
      error(`${name} must be a mapping`, node, `Keys: ${keys.join(', ')}.`);
      return;
    }
    for (const p of node.items as Pair<YamlNode, YamlNode>[]) {
      const k = isScalar(p.key) ? String(p.key.value) : '';
      if (keys.includes(k)) each(k, p.value);
      else error(`Unknown key "${k}" in ${name}`, p.key, `Keys: ${keys.join(', ')}.`);
    }
  }

  function strings(node: YamlNode | null | undefined, name: string, example: string): string[] {
    if (isScalar(node) && typeof node.value === 'string' && node.value !== '') return [node.value];
    if (node !== null && node !== undefined && 'items' in node && Array.isArray(node.items) && !isMap(node)) {
      const out: string[] = [];
      for (const item of node.items as YamlNode[]) {
        if (isScalar(item) && item.value !== null && typeof item.value !== 'boolean' && String(item.value) !== '') out.push(String(item.value));
        else error(`${name} must be a list of strings`, item, `Write ${example}.`);
      }
      return out;
    }
    error(`${name} must be a list of strings`, node, `Write ${example}.`);
    return [];
  }

  function readManifests(node: YamlNode | null): ConfigManifests | undefined {
    if (!isMap(node)) {
      error('manifests must be a mapping', node, 'Write manifests: { kustomize: overlays/dev }, { helm: { chart: ./chart } } or { files: [k8s/app.yaml] }.');
      return undefined;
    }
    const files: { path: string; at: SourcePosition }[] = [];
    let kustomize: ConfigManifests['kustomize'] = null;
    let helm: ConfigManifests['helm'] = null;
    readMap(node, 'manifests', ['files', 'kustomize', 'helm'], (k, v) => {
      if (k === 'files') {
        const items = isScalar(v) ? [v] : v !== null && 'items' in v && Array.isArray(v.items) && !isMap(v) ? (v.items as YamlNode[]) : [];
        if (items.length === 0) error('manifests.files must be a list of files or folders', v, 'Write manifests: { files: [k8s/app.yaml, k8s/db.yaml] }.');
        for (const item of items) {
          if (isScalar(item) && typeof item.value === 'string' && item.value !== '') files.push({ path: item.value, at: at(item) });
          else error('manifests.files must be a list of files or folders', item, 'Write manifests: { files: [k8s/app.yaml] }.');
        }
      } else if (k === 'kustomize') {
        if (isScalar(v) && typeof v.value === 'string' && v.value !== '') kustomize = { dir: v.value, at: at(v) };
        else error('manifests.kustomize must be the folder of a kustomization', v, 'Write manifests: { kustomize: overlays/dev }.');
      } else {
        const spec: { chart?: string; values: string[]; set: string[]; release: string | null; namespace: string | null } = { values: [], set: [], release: null, namespace: null };
        if (isScalar(v) && typeof v.value === 'string' && v.value !== '') spec.chart = v.value;
        else {
          readMap(v, 'manifests.helm', ['chart', 'values', 'set', 'release', 'namespace'], (hk, hv) => {
            if (hk === 'values') spec.values = strings(hv, 'manifests.helm.values', 'values: [values-dev.yaml]');
            else if (hk === 'set') spec.set = strings(hv, 'manifests.helm.set', 'set: [image.tag=dev]');
            else if (isScalar(hv) && typeof hv.value === 'string' && hv.value !== '') {
              if (hk === 'chart') spec.chart = hv.value;
              else if (hk === 'release') spec.release = hv.value;
              else spec.namespace = hv.value;
            } else error(`manifests.helm.${hk} must be a string`, hv, hk === 'chart' ? 'Write helm: { chart: ./chart }.' : `Write ${hk}: NAME.`);
          });
        }
        if (spec.chart === undefined) error('manifests.helm needs a chart', v, 'Write manifests: { helm: { chart: ./chart, values: [values-dev.yaml] } }.');
        else helm = { chart: spec.chart, values: spec.values, set: spec.set, release: spec.release, namespace: spec.namespace, at: at(v) };
      }
    });
    return { files, kustomize, helm };
  }

  function readBuild(node: YamlNode | null): ConfigBuild | undefined {
    const example = 'Write build: { images: { shop/web: ./web } }, or api: { context: ./api, dockerfile: Dockerfile, target: dev, args: { K: V } }.';
    if (!isMap(node)) {
      error('build must be a mapping', node, example);
      return undefined;
    }
    let watch = true;
    const images: ConfigBuildImage[] = [];
    readMap(node, 'build', ['watch', 'images'], (k, v) => {
      if (k === 'watch') {
        if (isScalar(v) && typeof v.value === 'boolean') watch = v.value;
        else error('build.watch must be true or false', v, 'build.watch: false builds only at start (and with --build), not on every change in a context.');
        return;
      }
      if (!isMap(v)) {
        error('build.images must be a mapping of image names to build contexts', v, example);
        return;
      }
      for (const item of v.items as Pair<YamlNode, YamlNode>[]) {
        const image = isScalar(item.key) ? String(item.key.value) : '';
        const value = item.value;
        if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?$/.test(image)) {
          error(`build.images: "${image}" is not an image name`, item.key, 'Use the name a workload\'s image: field writes, such as shop/web or shop/web:dev (lower case).');
          continue;
        }
        if (isScalar(value) && typeof value.value === 'string' && value.value !== '') {
          images.push({ image, context: value.value, dockerfile: 'Dockerfile', target: null, args: {}, at: at(item.key) });
          continue;
        }
        if (!isMap(value)) {
          error(`build.images.${image} must be a context folder or a mapping`, value ?? item.key, example);
          continue;
        }
        const entry: { context?: string; dockerfile: string; target: string | null; args: Record<string, string> } = { dockerfile: 'Dockerfile', target: null, args: {} };
        readMap(value, `build.images.${image}`, ['context', 'dockerfile', 'target', 'args'], (bk, bv) => {
          if (bk === 'args') {
            if (!isMap(bv)) {
              error(`build.images.${image}.args must be a mapping of build arguments`, bv, 'Write args: { NODE_ENV: development }.');
              return;
            }
            for (const a of bv.items as Pair<YamlNode, YamlNode>[]) {
              const name = isScalar(a.key) ? String(a.key.value) : '';
              if (isScalar(a.value) && a.value.value !== null && typeof a.value.value !== 'object') entry.args[name] = String(a.value.value);
              else error(`build.images.${image}.args.${name} must be a value`, a.value ?? a.key, `Write ${name}: "value".`);
            }
          } else if (isScalar(bv) && typeof bv.value === 'string' && bv.value !== '') {
            if (bk === 'context') entry.context = bv.value;
            else if (bk === 'dockerfile') entry.dockerfile = bv.value;
            else entry.target = bv.value;
          } else error(`build.images.${image}.${bk} must be a string`, bv, bk === 'context' ? 'Write context: ./web (the folder sent to the builder).' : `Write ${bk}: NAME.`);
        });
        if (entry.context === undefined) error(`build.images.${image} needs a context`, value, 'Write context: ./web (the folder sent to the builder).');
        else images.push({ image, context: entry.context, dockerfile: entry.dockerfile, target: entry.target, args: entry.args, at: at(item.key) });
      }
    });
    return { watch, images };
  }

  function readServices(node: YamlNode | null): void {
    if (!isMap(node)) {
      error('services must be a mapping of Service names to targets', node, 'Write services: { web: 3000, api: echo }.');
      return;
    }
    for (const p of node.items as Pair<YamlNode, YamlNode>[]) {
      const service = isScalar(p.key) ? String(p.key.value) : '';
      const v = p.value;
      if (isScalar(v) && v.value !== null && typeof v.value !== 'boolean') {
        mappings.push({ selector: service, target: String(v.value), at: at(v) });
      } else if (isMap(v)) {
        for (const pp of v.items as Pair<YamlNode, YamlNode>[]) {
          const port = isScalar(pp.key) ? String(pp.key.value) : '';
          if (isScalar(pp.value) && pp.value.value !== null) mappings.push({ selector: `${service}:${port}`, target: String(pp.value.value), at: at(pp.value) });
          else error(`services.${service}.${port} must be a target`, pp.value ?? pp.key, 'A target is 3000, host:port, http://host:port, https://host:port or echo.');
        }
      } else {
        error(`services.${service} must be a target or a mapping of ports to targets`, v ?? p.key, 'Write web: 3000, or web: { http: 3000, admin: 9000 }.');
      }
    }
  }
}

/** `5s`, `500ms`, `1m`, or a plain number of seconds. */
export function parseDuration(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value * 1000;
  if (typeof value !== 'string') return null;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m)?$/.exec(value.trim());
  if (m === null) return null;
  const n = Number(m[1]);
  const ms = m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
  return ms > 0 ? ms : null;
}
