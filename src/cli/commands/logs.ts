import type Docker from 'dockerode';
import { createClient } from '../../backends/docker/discovery.js';
import { createDockerDiscovery, formatDockerStatus, projectIdOf, runLabels } from '../../backends/docker/index.js';
import { suggestWord } from '../../manifest/suggest.js';
import { UsageError, type CommandSpec, type ParsedArgs } from '../args.js';
import { printContainerLogs } from '../container-logs.js';
import { writeLine, type CliIO } from '../io.js';
import { resolveProjectDir } from '../project.js';

export const logsCommand: CommandSpec = {
  name: 'logs',
  summary: 'Print the logs of the containers `up --run` started for a folder (as docker compose logs).',
  usage: 'ingress-dev logs [dir] [WORKLOAD] [-f] [--tail N]',
  positionals: { min: 0, max: 2 },
  details: [
    'WORKLOAD is a Deployment, StatefulSet or Pod of the folder: `web`, `Deployment/web` or',
    '`Deployment/default/web`; without it, every container of the folder. stdout and stderr are',
    'both printed; with several containers each line starts with the container name.',
    'Exit status: 0; 1 when no container of the folder (or of WORKLOAD) exists or Docker is not reachable.',
  ].join('\n'),
  options: [
    { name: 'follow', short: 'f', type: 'boolean', description: 'keep printing new lines until Ctrl-C (or until every container exited)' },
    { name: 'tail', type: 'string', value: 'N', description: 'only the last N lines of each container (default: all)' },
  ],
};

interface RunContainer {
  readonly id: string;
  readonly name: string;
  /** `Deployment/default/web`. */
  readonly workload: string;
}

export async function runLogs(args: ParsedArgs, io: CliIO): Promise<number> {
  const [first, second] = args.positionals;
  // One positional is the folder when it names one, else the workload in the current folder.
  const dirArg = second !== undefined || (first !== undefined && (await isFolder(io.cwd, first))) ? first : undefined;
  const workloadArg = second ?? (dirArg === undefined ? first : undefined);
  const tail = parseTail(args.flags.tail);
  const dir = await resolveProjectDir(io.cwd, dirArg);

  const discovery = createDockerDiscovery({ env: { ...process.env, ...io.env }, timeoutMs: 3_000, retryMs: 60_000 });
  let docker: Docker;
  try {
    const status = await discovery.ready();
    const endpoint = discovery.engine();
    if (status.state !== 'connected' || endpoint === null) {
      writeLine(io.stderr, `ingress-dev logs: ${formatDockerStatus(status)}`);
      return 1;
    }
    docker = createClient(endpoint, 10_000);
  } finally {
    discovery.stop();
  }

  const all = await containersOf(docker, dir);
  if (all.length === 0) {
    writeLine(io.stderr, `ingress-dev logs: no container of ${dirArg ?? 'this folder'} exists: \`ingress-dev up ${dirArg ?? '.'} --run\` starts the folder's workloads`);
    return 1;
  }
  const chosen = workloadArg === undefined ? all : all.filter((c) => workloadMatches(c.workload, workloadArg));
  if (chosen.length === 0) {
    const names = [...new Set(all.map((c) => c.workload))];
    const short = names.map((n) => n.split('/').pop() ?? n);
    const guess = suggestWord(workloadArg ?? '', short);
    writeLine(io.stderr, `ingress-dev logs: no workload "${workloadArg}" has containers${guess === null ? '' : ` (did you mean "${guess}"?)`}; the folder's: ${names.join(', ')}`);
    return 1;
  }

  const follow = args.flags.follow === true;
  const prefixWidth = Math.max(...chosen.map((c) => c.name.length));
  const streams = chosen.map((c) => printContainerLogs(docker, c, io, { prefix: chosen.length > 1 ? `${c.name.padEnd(prefixWidth)} | ` : '', follow, tail, since: null }));
  if (!follow) {
    await Promise.all(streams.map((s) => s.done));
    return 0;
  }
  // Until Ctrl-C, or until every container's log ended (they all exited).
  let off = (): void => {};
  const stopped = await new Promise<'SIGINT' | 'SIGTERM' | null>((resolve) => {
    off = io.onSignal?.((signal) => resolve(signal)) ?? onProcessSignal(resolve);
    void Promise.all(streams.map((s) => s.done)).then(() => resolve(null));
  });
  off();
  for (const s of streams) s.stop();
  return stopped === null ? 0 : stopped === 'SIGINT' ? 130 : 143;
}

function onProcessSignal(resolve: (signal: 'SIGINT' | 'SIGTERM') => void): () => void {
  const onInt = (): void => resolve('SIGINT');
  const onTerm = (): void => resolve('SIGTERM');
  process.once('SIGINT', onInt);
  process.once('SIGTERM', onTerm);
  return () => {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  };
}

async function isFolder(cwd: string, arg: string): Promise<boolean> {
  try {
    await resolveProjectDir(cwd, arg);
    return true;
  } catch {
    return false;
  }
}

function parseTail(value: unknown): number | null {
  if (value === undefined) return null;
  const n = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new UsageError(`--tail takes a number of lines, not "${String(value)}"`);
  return n;
}

/** The containers `up --run` created for this folder (by its project label), oldest first. */
async function containersOf(docker: Docker, dir: string): Promise<RunContainer[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${runLabels.project}=${projectIdOf(dir)}`] } });
  return list
    .toSorted((a, b) => a.Created - b.Created)
    .map((c) => ({ id: c.Id, name: (c.Names[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''), workload: c.Labels[runLabels.workload] ?? '' }));
}

/** `web`, `deployment/web` and `Deployment/default/web` all name `Deployment/default/web`. */
function workloadMatches(label: string, wanted: string): boolean {
  const [kind = '', namespace = '', name = ''] = label.split('/');
  const w = wanted.toLowerCase();
  return [name, `${kind}/${name}`, `${kind}/${namespace}/${name}`, `${namespace}/${name}`].some((form) => form.toLowerCase() === w);
}

