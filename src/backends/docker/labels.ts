import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import path from 'node:path';

/**
 * The labels ingress-dev puts on every container and network it creates (`up --run`). They are
 * how a later run recognises what an earlier one left behind, and the only thing it removes:
 * a container without `ingress-dev.project` is never touched.
 */
export const runLabels = {
  /** A stable id of the project folder: the same folder always has the same id. */
  project: 'ingress-dev.project',
  /** The folder itself, for people reading `docker inspect`. */
  projectDir: 'ingress-dev.project.dir',
  /** A new id for every `up`. */
  run: 'ingress-dev.run',
  /** The process and machine of the run, so that a run that is still alive is never cleaned up. */
  runPid: 'ingress-dev.run.pid',
  runHost: 'ingress-dev.run.host',
  /** `Deployment/default/web`. */
  workload: 'ingress-dev.workload',
  /** 1, 2, … (0, 1, … for a StatefulSet, as its pods are numbered). */
  replica: 'ingress-dev.replica',
  /** Hash of everything the container was created from; a different hash means "recreate". */
  specHash: 'ingress-dev.spec-hash',
  /** `default/api`: the container is the relay of that Service (its names, on its ports), not a workload. */
  relay: 'ingress-dev.relay',
  /** The id of the image built from the project that the container runs (a new build replaces it). */
  imageId: 'ingress-dev.image-id',
  /** `http=8080,metrics=9090`: the container's port names, so a Service targetPort by name resolves. */
  portNames: 'ingress-dev.port-names',
} as const;

/** The stable id of a project folder: 12 hex digits of the hash of its real path. */
export function projectIdOf(projectDir: string): string {
  let dir = path.resolve(projectDir);
  try {
    dir = realpathSync(dir);
  } catch {
    /* a folder that does not exist (yet) keeps its resolved path */
  }
  return createHash('sha256').update(dir).digest('hex').slice(0, 12);
}

/** The folder's name as a Docker name prefix: `shop` for `/home/ada/src/Shop`. */
export function projectSlugOf(projectDir: string): string {
  const slug = path
    .basename(path.resolve(projectDir))
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 30)
    .replace(/-+$/, '');
  return slug === '' ? 'project' : slug;
}

/** `http=8080,metrics=9090` → names → ports; anything unreadable is skipped. */
export function parsePortNames(text: string | undefined): Map<string, number> {
  const names = new Map<string, number>();
  if (text === undefined) return names;
  for (const item of text.split(',')) {
    const m = /^([a-z0-9-]+)=(\d+)$/i.exec(item.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) names.set(m[1], Number(m[2]));
  }
  return names;
}

export function formatPortNames(names: ReadonlyMap<string, number>): string {
  return [...names].map(([name, port]) => `${name}=${port}`).join(',');
}
