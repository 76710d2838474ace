import { loadOrCreateCa } from '../../tls/ca.js';
import { trustCa, type TrustStep } from '../../tls/trust.js';
import type { CommandSpec, ParsedArgs } from '../args.js';
import { writeLine, type CliIO } from '../io.js';

export const trustCommand: CommandSpec = {
  name: 'trust',
  summary: 'Make browsers and tools trust the local CA that signs the HTTPS certificates of `up`.',
  usage: 'ingress-dev trust [--print] [--uninstall] [--nss-db DIR]... [--no-system]',
  positionals: { min: 0, max: 0 },
  details: [
    'Adds the CA to the NSS databases of Chrome/Chromium (~/.pki/nssdb) and of every Firefox profile',
    '(with NSS\'s certutil), and to the system store: done when this process may write it, otherwise',
    'the exact command (with sudo) is printed. The CA is ingress-dev\'s own (created on first use in',
    '$INGRESS_DEV_HOME, else the user\'s data folder) or mkcert\'s, when mkcert made one first.',
    'Node reads it with NODE_EXTRA_CA_CERTS=$(ingress-dev trust --print); curl with --cacert.',
    'Exit status: 0; 1 when a store could not be changed.',
  ].join('\n'),
  options: [
    { name: 'print', type: 'boolean', description: 'print the CA certificate\'s file and change nothing' },
    { name: 'uninstall', type: 'boolean', description: 'remove the CA from the stores it was added to' },
    { name: 'nss-db', type: 'list', value: 'DIR', description: 'this NSS database instead of the browsers\' own, repeatable' },
    { name: 'no-system', type: 'boolean', description: 'leave the system store alone' },
  ],
};

export async function runTrust(args: ParsedArgs, io: CliIO): Promise<number> {
  const ca = await loadOrCreateCa(io.env);
  if (args.flags.print === true) {
    writeLine(io.stdout, ca.certFile);
    return 0;
  }
  if (ca.created) writeLine(io.stdout, `Created the local CA: ${ca.certFile}`);
  const uninstall = args.flags.uninstall === true;
  writeLine(io.stdout, `${uninstall ? 'Removing' : 'Installing'} ${ca.source === 'mkcert' ? "mkcert's CA" : "ingress-dev's local CA"} (${ca.cert.subject.match(/CN=([^\n]+)/)?.[1] ?? ''}, ${ca.certFile})`);
  const nssDbs = args.flags['nss-db'] as string[] | undefined;
  const steps = await trustCa({ ca, uninstall, system: args.flags['no-system'] !== true, env: io.env, ...(nssDbs === undefined ? {} : { nssDbs }) });
  for (const step of steps) writeLine(io.stdout, formatStep(step));
  if (!uninstall) writeLine(io.stdout, `Node.js: export NODE_EXTRA_CA_CERTS=${ca.certFile}   curl: --cacert ${ca.certFile}`);
  return steps.some((s) => s.outcome === 'failed') ? 1 : 0;
}

function formatStep(step: TrustStep): string {
  const mark = { done: '✓', already: '✓', skipped: '-', command: '!', failed: '✗' }[step.outcome];
  return step.outcome === 'command' ? `${mark} ${step.store}: needs root; run:\n    ${step.detail}` : `${mark} ${step.store}: ${step.detail}`;
}
