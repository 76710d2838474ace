import { createDiagnostic, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { EventBus } from '../events/bus.js';
import type { ConfigApplied, ConfigRejected } from '../events/types.js';
import { diffRouteTables, isUnchanged, type RouteListing } from '../model/diff.js';

/**
 * The reload loop: build a whole new state, then swap one reference (Traefik's configuration
 * watcher, in small). Requests read `current` once and keep what they read, so in-flight requests
 * and open WebSockets finish on the state they started with.
 *
 * What a state is, and how it is built, belongs to the caller (cli/ builds a route table and a
 * backend resolver from the manifests and the config file); this module only orders builds,
 * compares results and reports them as `config-applied` / `config-rejected` events.
 */

export type BuildResult<S> =
  /** Serve this. `diagnostics` are those of the state: semantic errors dropped only their routes. */
  | { readonly ok: true; readonly state: S; readonly diagnostics: readonly Diagnostic[]; readonly restartNeeded?: string | null }
  /** Keep serving the last good state: a file does not parse, or the config file is invalid. */
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

/** What the loop compares between two states to tell what changed. */
export interface StateSummary extends RouteListing {
  /** Manifest files read. */
  readonly files: number;
  /** Everything else that changes what is served (mappings, the unmapped policy), as comparable text. */
  readonly settings: string;
}

export type ReloadTrigger =
  | { readonly kind: 'files'; readonly files: readonly string[] }
  | { readonly kind: 'manual' };

export type ReloadOutcome =
  | { readonly type: 'applied'; readonly event: ConfigApplied }
  /** The build gave what is served already: nothing was swapped, and no event was emitted. */
  | { readonly type: 'unchanged' }
  | { readonly type: 'rejected'; readonly event: ConfigRejected };

export interface ReloaderOptions<S> {
  /** The state served from the start, with its diagnostics. */
  readonly initial: { readonly state: S; readonly diagnostics: readonly Diagnostic[] };
  /** Builds a new state; gets the trigger as shown in events (`k8s/ingress.yaml`, `manual`). */
  build(trigger: string): Promise<BuildResult<S>>;
  describe(state: S): StateSummary;
  readonly events: EventBus;
  /** Monotonic milliseconds, for durations (default `performance.now`). */
  readonly now?: () => number;
  /** Epoch milliseconds, for `at` (default `Date.now`). */
  readonly clock?: () => number;
}

export interface Reloader<S> {
  /** The state being served. Read it once per request. */
  readonly current: S;
  /**
   * Reloads. Reloads never overlap: a request made while one runs queues exactly one more, which
   * covers every request made in the meantime. Resolves with the outcome of the reload that
   * covered this request. Never rejects: a failing build is a `config-rejected` event.
   */
  reload(trigger: ReloadTrigger): Promise<ReloadOutcome>;
  /** Resolves once no reload is running or queued. */
  idle(): Promise<void>;
}

interface Job {
  readonly files: Set<string>;
  manual: boolean;
  readonly waiters: ((outcome: ReloadOutcome) => void)[];
}

export function createReloader<S>(options: ReloaderOptions<S>): Reloader<S> {
  const now = options.now ?? (() => performance.now());
  const clock = options.clock ?? (() => Date.now());
  let current = options.initial.state;
  let served = { summary: options.describe(current), diagnostics: diagnosticKeys(options.initial.diagnostics), restartNeeded: null as string | null };
  // After a rejection, the next good build is reported even when it equals what is served, so
  // that the UI and the log stop showing the error.
  let lastRejected = false;
  let pending: Job | null = null;
  let running: Promise<void> | null = null;

  async function run(job: Job): Promise<ReloadOutcome> {
    const trigger = formatTrigger(job);
    const started = now();
    let result: BuildResult<S>;
    try {
      result = await options.build(trigger);
    } catch (error) {
      // A bug in the build, not in the user's files: reported the same way, and nothing stops.
      const message = error instanceof Error ? error.message : String(error);
      const at = { file: '.', line: 1, col: 1 };
      result = { ok: false, diagnostics: [createDiagnostic('E_INTERNAL', 'error', `reload failed: ${message.slice(0, 200)}`, at, 'This is a bug in ingress-dev: please report it. The last good routes keep serving.')] };
    }
    if (!result.ok) {
      lastRejected = true;
      const event: ConfigRejected = { type: 'config-rejected', at: clock(), trigger, diagnostics: result.diagnostics, durationMs: now() - started };
      options.events.emit(event);
      return { type: 'rejected', event };
    }
    const summary = options.describe(result.state);
    const changes = diffRouteTables(served.summary, summary);
    const diagnostics = diagnosticKeys(result.diagnostics);
    const restartNeeded = result.restartNeeded ?? null;
    const identical =
      isUnchanged(changes) &&
      summary.files === served.summary.files &&
      summary.settings === served.summary.settings &&
      restartNeeded === served.restartNeeded &&
      diagnostics === served.diagnostics;
    // A manual reload (the r key) always answers, so the user learns that nothing changed.
    if (identical && !lastRejected && !job.manual) return { type: 'unchanged' };
    if (!identical) {
      current = result.state; // the swap: one reference
      served = { summary, diagnostics, restartNeeded };
    }
    lastRejected = false;
    const event: ConfigApplied = {
      type: 'config-applied',
      at: clock(),
      trigger,
      routes: summary.routes.length + (summary.gateway?.rules.length ?? 0),
      files: summary.files,
      changes,
      diagnostics: result.diagnostics,
      durationMs: now() - started,
      restartNeeded,
    };
    options.events.emit(event);
    return { type: 'applied', event };
  }

  async function pump(): Promise<void> {
    while (pending !== null) {
      const job = pending;
      pending = null;
      const outcome = await run(job);
      for (const resolve of job.waiters) resolve(outcome);
    }
    running = null;
  }

  return {
    get current() {
      return current;
    },
    reload(trigger) {
      pending ??= { files: new Set(), manual: false, waiters: [] };
      const job = pending;
      if (trigger.kind === 'manual') job.manual = true;
      else for (const f of trigger.files) job.files.add(f);
      const outcome = new Promise<ReloadOutcome>((resolve) => job.waiters.push(resolve));
      running ??= pump();
      return outcome;
    },
    async idle() {
      for (let r = running; r !== null; r = running) await r;
    },
  };
}

/** `k8s/ingress.yaml`, `a.yaml, b.yaml +3 more`, or `manual`. */
function formatTrigger(job: Job): string {
  const files = [...job.files].toSorted();
  if (files.length === 0) return 'manual';
  const shown = files.slice(0, 2).join(', ');
  return files.length > 2 ? `${shown} +${files.length - 2} more` : shown;
}

function diagnosticKeys(diagnostics: readonly Diagnostic[]): string {
  return diagnostics.map((d) => `${d.code} ${d.file}:${d.line}:${d.col} ${d.message}`).join('\n');
}
