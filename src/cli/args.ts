/** A small, strict flag parser: every command declares its options; anything else is a usage error. */
export interface OptionSpec {
  readonly name: string; // long name without dashes
  readonly short?: string;
  readonly type: 'boolean' | 'string' | 'list';
  readonly value?: string; // placeholder shown in help, e.g. METHOD
  readonly description: string;
}

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly positionals: { readonly min: number; readonly max: number };
  readonly options: readonly OptionSpec[];
  readonly details?: string;
}

export interface ParsedArgs {
  readonly positionals: string[];
  readonly flags: Record<string, boolean | string | string[] | undefined>;
}

export class UsageError extends Error {}

export function parseArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const flags: Record<string, boolean | string | string[] | undefined> = {};
  const byLong = new Map(spec.options.map((o) => [o.name, o]));
  const byShort = new Map(spec.options.filter((o) => o.short !== undefined).map((o) => [o.short as string, o]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let option: OptionSpec | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq === -1 ? undefined : arg.slice(eq + 1);
      option = byLong.get(name);
      if (option === undefined) throw new UsageError(`unknown option --${name}`);
    } else if (arg.startsWith('-') && arg.length > 1) {
      option = byShort.get(arg.slice(1, 2));
      if (option === undefined) throw new UsageError(`unknown option ${arg.slice(0, 2)}`);
      if (arg.length > 2) inline = arg.slice(2);
    } else {
      positionals.push(arg);
      continue;
    }
    if (option.type === 'boolean') {
      if (inline !== undefined) throw new UsageError(`option --${option.name} takes no value`);
      flags[option.name] = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`option --${option.name} needs a value (${option.value ?? 'VALUE'})`);
    if (option.type === 'list') {
      const list = (flags[option.name] as string[] | undefined) ?? [];
      list.push(value);
      flags[option.name] = list;
    } else {
      flags[option.name] = value;
    }
  }
  if (positionals.length < spec.positionals.min) throw new UsageError(`missing argument: ${spec.usage}`);
  if (positionals.length > spec.positionals.max) {
    throw new UsageError(`unexpected argument "${positionals[spec.positionals.max]}"`);
  }
  return { positionals, flags };
}

export function formatHelp(spec: CommandSpec): string {
  const lines = [`${spec.summary}`, '', `Usage: ${spec.usage}`];
  if (spec.details !== undefined) lines.push('', spec.details);
  if (spec.options.length > 0) {
    lines.push('', 'Options:');
    const rows = spec.options.map((o) => {
      const names = `${o.short !== undefined ? `-${o.short}, ` : '    '}--${o.name}${o.type === 'boolean' ? '' : ` ${o.value ?? 'VALUE'}`}`;
      return [names, o.description] as const;
    });
    const width = Math.max(...rows.map(([n]) => n.length));
    for (const [names, description] of rows) lines.push(`  ${names.padEnd(width)}  ${description}`);
  }
  return lines.join('\n');
}
