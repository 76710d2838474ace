import { render } from 'ink';
import { useLayoutEffect, type ReactNode } from 'react';
import { App, type QuitKey } from './App.js';
import type { UiStores } from './ui-stores.js';

export type { QuitKey } from './App.js';
export type { UiState } from './status-store.js';

export interface UiOptions {
  /** The tool's version, for the header. */
  readonly version: string;
  /** Where the proxy listens: `http://127.0.0.1:8080`, then `https://127.0.0.1:8443` when HTTPS is on. */
  readonly urls: readonly string[];
  /** The local CA's certificate, for the `curl --cacert` hint. */
  readonly caFile?: string;
  /** Whether a host's certificate is the folder's Secret: the hint then names its `.localhost` alias. */
  readonly servedBySecret?: (host: string) => boolean;
  /**
   * What the UI shows, from `createUiStores`: created by the caller before the proxy listens, so
   * they already hold what happened while Ink was loading. The caller disposes them.
   */
  readonly stores: UiStores;
  /** `r`: reload the manifests now (the result arrives as a config event). */
  readonly onReload: () => void;
  /** `q` or Ctrl-C, after the UI is gone and the terminal restored: stop and exit. */
  readonly onQuit: (key: QuitKey) => void;
  readonly stdin?: NodeJS.ReadStream;
  readonly stdout?: NodeJS.WriteStream;
  readonly stderr?: NodeJS.WriteStream;
  /** When the routes were loaded, shown in the header until the first reload (default: now). */
  readonly startedAt?: number;
  /** What the manifests are read from when it is not the folder: `helm template ./chart`, `stdin`. */
  readonly source?: string;
  /** `up --record FILE`: the file each new request is recorded to. */
  readonly recording?: string;
}

export interface UiHandle {
  /** Resolves once the UI is unmounted and the terminal restored. */
  waitUntilExit(): Promise<void>;
  /** Remove the UI and restore the terminal (idempotent): before printing anything else. */
  unmount(): void;
}

/**
 * Runs `run` when Ink unmounts the tree, right after its last frame and the cursor are restored:
 * Ink unmounts on process exit and on signals too, where no promise callback would run.
 */
function OnUnmount({ run, children }: { readonly run: () => void; readonly children: ReactNode }) {
  useLayoutEffect(() => run, [run]);
  return children;
}

const enterAltScreen = '\u001b[?1049h\u001b[H';
const leaveAltScreen = '\u001b[?1049l';

/**
 * Show the terminal UI on a TTY until `unmount()` or a quit key. Loaded lazily by the CLI
 * (`await import('../ui/start-ui.js')`), so the plain log path never loads Ink or React.
 * Runs on the alternate screen, so quitting gives the terminal back as it was.
 */
export async function startUi(options: UiOptions): Promise<UiHandle> {
  const stdout = options.stdout ?? process.stdout;
  const { requests, status, workloads, logs } = options.stores;

  let onScreen = true;
  // Idempotent; also run by Ink's own exit hook (a signal with no handler) through OnUnmount.
  const leaveScreen = (): void => {
    if (!onScreen) return;
    onScreen = false;
    stdout.write(leaveAltScreen);
    process.off('exit', leaveScreen);
  };
  process.once('exit', leaveScreen);
  stdout.write(enterAltScreen);

  let mounted = true;
  const unmount = (): void => {
    if (!mounted) return;
    mounted = false;
    instance.unmount();
    leaveScreen();
  };
  const onQuit = (key: QuitKey): void => {
    unmount();
    options.onQuit(key);
  };

  const instance = render(
    <OnUnmount run={leaveScreen}>
      <App
        version={options.version}
        urls={options.urls}
        {...(options.caFile === undefined ? {} : { caFile: options.caFile })}
        {...(options.servedBySecret === undefined ? {} : { servedBySecret: options.servedBySecret })}
        requests={requests}
        status={status}
        workloads={workloads}
        logs={logs}
        onReload={options.onReload}
        onQuit={onQuit}
        startedAt={options.startedAt}
        {...(options.source === undefined ? {} : { source: options.source })}
        {...(options.recording === undefined ? {} : { recording: options.recording })}
      />
    </OnUnmount>,
    {
      stdout,
      stdin: options.stdin ?? process.stdin,
      stderr: options.stderr ?? process.stderr,
      exitOnCtrlC: false,
      // A stray console.log must not tear the screen: Ink prints it above the frame and redraws.
      patchConsole: true,
      // Not incrementalRendering: in ink 6.8 it rewrites one row too low when the frame is
      // shorter than the terminal (as ours is). Ink wraps each frame in synchronized-output
      // escapes instead, and the store batches updates, so the full redraw does not flicker.
    },
  );
  const exited = instance.waitUntilExit().then(
    () => undefined,
    () => undefined,
  );

  return {
    waitUntilExit: async () => {
      await exited;
      unmount();
    },
    unmount,
  };
}
