import { PassThrough, Writable } from 'node:stream';
import type Docker from 'dockerode';
import { writeLine, type CliIO, type OutputStream } from './io.js';

/**
 * A container's log on the CLI's outputs: stdout to stdout and stderr to stderr, whole lines, each
 * with a prefix (`web-1 | `) when several containers share the terminal. For `ingress-dev logs`
 * and for `up --run --no-ui`, which follows the containers it starts.
 */

export interface LoggedContainer {
  /** An id or a name: what `docker logs` takes. */
  readonly id: string;
  readonly name: string;
}

export interface ContainerLog {
  /** Settles when the log ended (the container exited, with `follow`) or failed; never rejects. */
  readonly done: Promise<void>;
  stop(): void;
}

export interface LogOptions {
  /** Put before every line: `web-1 | `, or '' for one container. */
  readonly prefix: string;
  /** Keep printing until the container stops (or `stop()`). */
  readonly follow: boolean;
  /** Only the last lines, or null for all. */
  readonly tail: number | null;
  /** Only lines from this time on (epoch seconds), or null. */
  readonly since: number | null;
}

export function printContainerLogs(docker: Docker, container: LoggedContainer, io: Pick<CliIO, 'stdout' | 'stderr'>, options: LogOptions): ContainerLog {
  const { prefix, follow, tail, since } = options;
  const out = lineWriter(io.stdout, prefix);
  const err = lineWriter(io.stderr, prefix);
  let source: (NodeJS.ReadableStream & { destroy?: () => void }) | null = null;
  let stopped = false;
  const done = (async () => {
    const c = docker.getContainer(container.id);
    const which = { stdout: true, stderr: true, ...(tail === null ? {} : { tail }), ...(since === null ? {} : { since }) };
    // Docker multiplexes stdout and stderr in one stream (containers without a TTY, as `up --run` creates them).
    if (follow) {
      source = await c.logs({ ...which, follow: true });
    } else {
      const pass = new PassThrough();
      pass.end(await c.logs({ ...which, follow: false }));
      source = pass;
    }
    const stream = source;
    if (stopped) stream.destroy?.();
    await new Promise<void>((resolve) => {
      docker.modem.demuxStream(stream, out, err);
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', () => resolve());
    });
    out.end();
    err.end();
  })().catch((e: unknown) => {
    if (!stopped) writeLine(io.stderr, `${prefix}ingress-dev: the log of ${container.name}: ${e instanceof Error ? e.message : String(e)}`);
  });
  return {
    done,
    stop: () => {
      stopped = true;
      source?.destroy?.();
    },
  };
}

/** Writes whole lines, each with `prefix`; a last line without a newline is written at the end. */
function lineWriter(target: OutputStream, prefix: string): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) target.write(`${prefix}${line}\n`);
      callback();
    },
    final(callback) {
      if (pending !== '') target.write(`${prefix}${pending}\n`);
      pending = '';
      callback();
    },
  });
}

/**
 * `up --run --no-ui`: the log of every container the run starts, from its creation, and again
 * from the moment it is restarted (a followed log ends when its container stops).
 */
export interface LogFollower {
  follow(container: string, from: 'start' | 'now'): void;
  stop(): void;
}

export function createLogFollower(client: () => Docker | null, io: Pick<CliIO, 'stdout' | 'stderr'>): LogFollower {
  const followed = new Map<string, ContainerLog>();
  let stopped = false;
  return {
    follow(container, from) {
      const docker = client();
      if (stopped || docker === null) return;
      followed.get(container)?.stop();
      const since = from === 'now' ? Math.floor(Date.now() / 1000) : null;
      const log = printContainerLogs(docker, { id: container, name: container }, io, { prefix: `${container} | `, follow: true, tail: null, since });
      followed.set(container, log);
      void log.done.then(() => {
        if (followed.get(container) === log) followed.delete(container);
      });
    },
    stop() {
      stopped = true;
      for (const log of followed.values()) log.stop();
      followed.clear();
    },
  };
}
