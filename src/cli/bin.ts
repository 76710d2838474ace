import { runCli } from './main.js';

// The process wiring: the only place that sets the exit status of a run.
// A reader that goes away (`ingress-dev routes | head`) ends the output, not with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}
try {
  const code = await runCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
    env: process.env,
  });
  process.exitCode = code;
} catch (e) {
  // A bug, not a user's mistake: say so plainly, with the stack for the report.
  process.stderr.write(`ingress-dev: internal error: ${(e as Error).stack ?? String(e)}\nPlease report this with the command you ran.\n`);
  process.exitCode = 70;
}
