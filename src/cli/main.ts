import { formatHelp, parseArgs, UsageError, type CommandSpec, type ParsedArgs } from './args.js';
import { checkCommand, runCheck } from './commands/check.js';
import { diffCommand, runDiff } from './commands/diff.js';
import { explainCommand, runExplain } from './commands/explain.js';
import { logsCommand, runLogs } from './commands/logs.js';
import { routesCommand, runRoutes } from './commands/routes.js';
import { runTest, testCommand } from './commands/test.js';
import { runTrust, trustCommand } from './commands/trust.js';
import { runUp, upCommand } from './commands/up.js';
import { writeLine, type CliIO } from './io.js';
import { readVersion } from './version.js';

interface Command {
  readonly spec: CommandSpec;
  readonly run: (args: ParsedArgs, io: CliIO) => Promise<number>;
}

// Options every command understands.
const commonOptions = [
  { name: 'help', short: 'h', type: 'boolean', description: 'show this help' },
  { name: 'color', type: 'boolean', description: 'force coloured output' },
  { name: 'no-color', type: 'boolean', description: 'disable coloured output (also NO_COLOR=1)' },
] as const;

const commands: readonly Command[] = [
  { spec: upCommand, run: runUp },
  { spec: checkCommand, run: runCheck },
  { spec: routesCommand, run: runRoutes },
  { spec: explainCommand, run: runExplain },
  { spec: testCommand, run: runTest },
  { spec: diffCommand, run: runDiff },
  { spec: logsCommand, run: runLogs },
  { spec: trustCommand, run: runTrust },
];


function mainHelp(): string {
  const width = Math.max(...commands.map((c) => c.spec.name.length));
  return [
    'ingress-dev: Kubernetes Ingress routing on your laptop, with no cluster.',
    '',
    'Usage: ingress-dev <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.spec.name.padEnd(width)}  ${c.spec.summary}`),
    '',
    'Options:',
    '  -h, --help     show help (also: ingress-dev <command> --help)',
    '  -v, --version  print the version',
    '',
    'Every command reads the *.yaml and *.yml files below a folder (default: the current one),',
    'or what -f FILE (- for stdin), --kustomize DIR or --helm CHART names instead.',
  ].join('\n');
}

/**
 * The CLI entry: argv in, exit status out. Never calls process.exit, so tests run it in-process;
 * `bin.ts` does the process wiring.
 */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? commands.find((c) => c.spec.name === rest[0]) : undefined;
    writeLine(io.stdout, topic !== undefined ? formatHelp(withCommon(topic.spec)) : mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    writeLine(io.stdout, readVersion());
    return 0;
  }
  const command = commands.find((c) => c.spec.name === name);
  if (command === undefined) {
    return usageError(io, name.startsWith('-') ? `unknown option ${name}` : `unknown command "${name}"`, undefined);
  }
  const spec = withCommon(command.spec);
  let args: ParsedArgs;
  try {
    args = parseArgs(spec, rest);
  } catch (e) {
    if (e instanceof UsageError) {
      // --help wins over any other mistake on the line.
      if (rest.includes('--help') || rest.includes('-h')) return help(io, spec);
      return usageError(io, e.message, spec.name);
    }
    throw e;
  }
  if (args.flags.help === true) return help(io, spec);
  try {
    return await command.run(args, io);
  } catch (e) {
    if (e instanceof UsageError) return usageError(io, e.message, spec.name);
    throw e;
  }
}

function withCommon(spec: CommandSpec): CommandSpec {
  return { ...spec, options: [...spec.options, ...commonOptions] };
}

function help(io: CliIO, spec: CommandSpec): number {
  writeLine(io.stdout, formatHelp(spec));
  return 0;
}

function usageError(io: CliIO, message: string, command: string | undefined): number {
  const see = command === undefined ? 'ingress-dev --help' : `ingress-dev ${command} --help`;
  writeLine(io.stderr, `ingress-dev${command === undefined ? '' : ` ${command}`}: ${message} (see ${see})`);
  return 2;
}
