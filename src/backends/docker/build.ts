import { createHash } from 'node:crypto';
import { readdir, readFile, lstat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import dockerignore from '@balena/dockerignore';
import type Docker from 'dockerode';
import tar from 'tar-fs';
import type { ConfigBuildImage } from '../../manifest/config.js';

/**
 * Images `up --run` builds from the project instead of pulling (`build:` in ingress-dev.yaml), as
 * compose's `build:`, Skaffold's artifacts and Tilt's docker_build do: the context is tarred
 * with its `.dockerignore` applied (as the docker CLI sends it) and built by the engine
 * (dockerode's buildImage). The image carries a digest of what it was built from, so a start
 * builds only what changed since.
 */
/**
 * An entry of `build.images` (ingress-dev.yaml) with its `context` made absolute: the image a
 * workload names (`shop/web`: any tag; `shop/web:dev`: that tag only), the Dockerfile relative to
 * the context, target, args, and the entry's position for diagnostics.
 */
export type BuildSpec = ConfigBuildImage;

/** The label that holds the digest of the context, Dockerfile, target and arguments an image was built from. */
export const contextDigestLabel = 'ingress-dev.context-digest';

/** `shop/web:dev` → `shop/web`; a registry port (`localhost:5000/web`) is not a tag. */
export function repositoryOf(image: string): string {
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > slash ? image.slice(0, colon) : image;
}

/** The build entry for an image a workload names: the same name and tag, else the same name without a tag in the entry. */
export function buildFor(image: string, specs: readonly BuildSpec[]): BuildSpec | null {
  const exact = specs.find((s) => s.image === image || (!hasTag(s.image) && `${s.image}:latest` === image) || (!hasTag(image) && s.image === `${image}:latest`));
  if (exact !== undefined) return exact;
  return specs.find((s) => !hasTag(s.image) && s.image === repositoryOf(image)) ?? null;
}

function hasTag(image: string): boolean {
  return repositoryOf(image) !== image;
}

export interface BuildContext {
  /** The files sent to the builder, relative with `/`, sorted. */
  readonly files: readonly string[];
  /** sha256 of the files' names, modes and contents, the Dockerfile's path, the target and the arguments. */
  readonly digest: string;
}

/**
 * The context as the docker CLI sends it: every file below the folder except those
 * `.dockerignore` excludes (Docker's own matcher, @balena/dockerignore); the Dockerfile and
 * `.dockerignore` are always sent.
 */
export async function readContext(spec: BuildSpec): Promise<BuildContext> {
  let patterns = '';
  try {
    patterns = await readFile(path.join(spec.context, '.dockerignore'), 'utf8');
  } catch {
    // no .dockerignore: everything is sent
  }
  // A CommonJS module whose types declare a default export: the function is its `default`.
  const ignore = dockerignore.default({ ignorecase: false }).add(patterns);
  // An exception (`!keep.txt`) may bring back a file in an excluded folder: then every folder is walked.
  const exceptions = /^\s*!/m.test(patterns);
  const dockerfile = spec.dockerfile.split(path.sep).join('/');
  const always = new Set([dockerfile, '.dockerignore']);
  const files: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(path.join(spec.context, rel), { withFileTypes: true });
    for (const entry of entries) {
      const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (exceptions || !ignore.ignores(child)) await walk(child);
      } else if (always.has(child) || !ignore.ignores(child)) {
        files.push(child);
      }
    }
  };
  await walk('');
  files.sort();
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ dockerfile, target: spec.target, args: Object.entries(spec.args).toSorted(([a], [b]) => a.localeCompare(b)) }));
  for (const file of files) {
    const abs = path.join(spec.context, file);
    const info = await lstat(abs);
    hash.update(`\0${file}\0${info.mode}\0`);
    hash.update(info.isSymbolicLink() ? `link` : await readFile(abs));
  }
  return { files, digest: hash.digest('hex').slice(0, 32) };
}

export type BuildResult =
  | { readonly ok: true; readonly imageId: string; readonly durationMs: number }
  | { readonly ok: false; readonly error: string; readonly lines: readonly string[] };

interface BuildEvent {
  readonly stream?: string;
  readonly status?: string;
  readonly error?: string;
  readonly errorDetail?: { readonly message?: string };
  readonly aux?: { readonly ID?: string };
}

/**
 * Builds `tags` (the names the workloads use) from the context; `onLine` gets each line of the
 * builder's output (`Step 3/7 : RUN npm ci`). A failed build answers its error and the last
 * lines of output, never throws for the builder's reasons.
 */
export async function buildImage(api: Docker, spec: BuildSpec, context: BuildContext, tags: readonly string[], labels: Readonly<Record<string, string>>, onLine: (line: string) => void, signal: AbortSignal): Promise<BuildResult> {
  const started = Date.now();
  const pack: Readable = tar.pack(spec.context, { entries: [...context.files] });
  const tail: string[] = [];
  const keep = (line: string): void => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
  };
  let stream: NodeJS.ReadableStream;
  try {
    stream = (await api.buildImage(pack, {
      t: [...tags],
      dockerfile: spec.dockerfile,
      ...(spec.target === null ? {} : { target: spec.target }),
      buildargs: { ...spec.args },
      labels: { ...labels, [contextDigestLabel]: context.digest },
      rm: true,
      forcerm: true,
      abortSignal: signal,
      // Several `t` parameters tag the image with each name (the engine API takes the list).
    } as unknown as Docker.ImageBuildOptions)) as NodeJS.ReadableStream;
  } catch (error) {
    return { ok: false, error: `the engine refused the build: ${(error as Error).message}`, lines: [] };
  }
  let imageId: string | null = null;
  let failure: string | null = null;
  await new Promise<void>((resolve) => {
    (api.modem as { followProgress: (s: NodeJS.ReadableStream, done: (e: Error | null) => void, each: (o: BuildEvent) => void) => void }).followProgress(
      stream,
      (error) => {
        if (error !== null && error !== undefined) failure ??= error.message;
        resolve();
      },
      (event) => {
        if (event.aux?.ID !== undefined) imageId = event.aux.ID;
        const text = event.stream ?? event.status;
        if (text !== undefined) {
          for (const line of text.split('\n').map((l) => l.trimEnd()).filter((l) => l !== '')) {
            keep(line);
            onLine(line);
          }
        }
        if (event.error !== undefined || event.errorDetail?.message !== undefined) failure ??= event.errorDetail?.message ?? event.error ?? 'the build failed';
      },
    );
  });
  if (failure !== null) return { ok: false, error: failure, lines: tail };
  if (imageId === null) {
    // The legacy builder ends with "Successfully built ID" rather than an aux event.
    const built = tail.map((l) => /^Successfully built ([0-9a-f]+)$/.exec(l)?.[1]).find((id) => id !== undefined);
    imageId = built ?? (await api.getImage(tags[0] ?? spec.image).inspect().then((i) => i.Id, () => null));
  }
  if (imageId === null) return { ok: false, error: 'the builder finished without an image', lines: tail };
  return { ok: true, imageId, durationMs: Date.now() - started };
}
