import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, patchbayVersion } from '@patchbay/config';
import { ApiError, cliApiClient } from './cli/api-client';
import { answerCommand, approvalsCommand } from './cli/approvals.command';
import { attachCommand } from './cli/attach.command';
import { doctorCommand } from './cli/doctor.command';
import { followSession } from './cli/follow';
import { initCommand } from './cli/init.command';
import { healthCommand } from './cli/health.command';
import { jobsCommand } from './cli/jobs.command';
import { sessionsCommand, tasksCommand } from './cli/list.commands';
import { pairCommand } from './cli/pair.command';
import { revokeCommand, roleCommand } from './cli/principals.command';
import { sendCommand } from './cli/send.command';
import { stopCommand } from './cli/stop.command';
import { Role, ROLES } from './roles';
import { startServer } from './server';

const USAGE = `Usage: patchbay <command>

  init [--yes …]                 write a commented patchbay.yaml (init --help)
  start [gateway|engine|runner]  run Patchbay (all-in-one without a role)
  send "text" [--chat <id>]      send a message, print the agent's output until it ends
  sessions                       list sessions
  tasks                          list tasks
  stream <session>               follow a session's output
  stop <session> [--kill]        interrupt the session's run (--kill closes its tmux session)
  attach <session>               attach to the session's tmux session (detach: C-b d)
  pair [list]                    pairing requests from unknown senders
  pair approve <code> [--role r] let one in (operator by default; viewer, owner)
  role <principal> <role>        change a principal's role (its id, or an identity like telegram:42)
  revoke <principal>             revoke a principal: its identities become unknown senders
  approvals                      what agents wait for a person to allow
  approve <id> [--session]       allow it once (--session: this tool, or Bash command prefix, for the session)
  deny <id> [reason...]          deny it; the reason goes back to the agent
  jobs <command>                 scheduled jobs: list, add, rm, enable, disable, run, runs (jobs --help)
  doctor                         check what the running Patchbay uses (or this machine when none runs)
  health [gateway|engine|runner] exit 0 when that role is ready (healthchecks; gateway by default)

Configuration: patchbay.yaml (or PATCHBAY_CONFIG), overridden by NATS_URL, DATABASE_URL,
PATCHBAY_HOME, PATCHBAY_HTTP_PORT, … (see README.md). The CLI talks to PATCHBAY_URL or the
configured HTTP port, with PATCHBAY_API_TOKEN (or the first owner token in http.tokens) when the
server needs one.`;

async function main(argv: string[]): Promise<number> {
  // `init` writes the config, so it must not need one.
  if (argv[0] === 'init') return initCommand(argv.slice(1));
  // `jobs` has options of its own (--cron, --every, --prompt, …).
  if (argv[0] === 'jobs') return jobsCommand(() => cliApiClient(loadConfig().config), argv.slice(1));
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      chat: { type: 'string' },
      kill: { type: 'boolean' },
      session: { type: 'boolean' },
      role: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
  });
  const [command, ...rest] = positionals;
  if (values.version) {
    process.stdout.write(`${patchbayVersion()}\n`);
    return 0;
  }
  if (values.help || !command || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command || values.help ? 0 : 2;
  }
  const loaded = loadConfig();
  const api = cliApiClient(loaded.config);
  switch (command) {
    case 'start':
      return start(rest, loaded);
    case 'send':
      if (rest.length === 0) return usage('send needs the message text: patchbay send "hello"');
      return sendCommand(api, rest.join(' '), values.chat);
    case 'sessions':
      return sessionsCommand(api);
    case 'tasks':
      return tasksCommand(api);
    case 'stream':
      if (rest.length !== 1) return usage('stream needs a session id: patchbay stream <session>');
      return followSession(api, rest[0]);
    case 'stop':
      if (rest.length !== 1) return usage('stop needs a session id: patchbay stop <session> [--kill]');
      return stopCommand(api, rest[0], values.kill ? 'kill' : 'stop');
    case 'attach':
      if (rest.length !== 1) return usage('attach needs a session id: patchbay attach <session>');
      return attachCommand(api, loaded.config, rest[0]);
    case 'pair':
      return pairCommand(api, rest, values.role);
    case 'role':
      if (rest.length !== 2) return usage('role needs a principal and a role: patchbay role <principal> <owner|operator|viewer>');
      return roleCommand(api, rest[0], rest[1]);
    case 'revoke':
      if (rest.length !== 1) return usage('revoke needs a principal: patchbay revoke <principal>');
      return revokeCommand(api, rest[0]);
    case 'approvals':
      if (rest.length !== 0) return usage('approvals takes no arguments');
      return approvalsCommand(api);
    case 'approve':
      if (rest.length !== 1) return usage('approve needs a request id: patchbay approve <id> [--session]');
      return answerCommand(api, rest[0], values.session ? 'allow_session' : 'allow_once');
    case 'deny':
      if (rest.length === 0) return usage('deny needs a request id: patchbay deny <id> [reason...]');
      return answerCommand(api, rest[0], 'deny', rest.slice(1).join(' ') || undefined);
    case 'doctor':
      return doctorCommand(loaded, api);
    case 'health':
      if (rest.length > 1 || (rest.length === 1 && !ROLES.includes(rest[0] as Role))) return usage(`health takes one of ${ROLES.join(', ')}`);
      return healthCommand(loaded.config, api, rest[0] as Role | undefined);
    default:
      return usage(`unknown command "${command}"`);
  }
}

async function start(args: string[], loaded: ReturnType<typeof loadConfig>): Promise<number> {
  if (args.length > 1 || (args.length === 1 && !ROLES.includes(args[0] as Role))) {
    return usage(`start takes one of ${ROLES.join(', ')}, or nothing for all-in-one`);
  }
  const roles = args.length === 1 ? [args[0] as Role] : [...ROLES];
  const server = await startServer(roles, loaded);
  // With JSON logs every line of the output is a log object, these notes too.
  const json = loaded.config.log.format === 'json';
  const note = (stream: NodeJS.WriteStream, text: string) => (json ? new Logger('Patchbay').log(text) : stream.write(`${text}\n`));
  if (server.url && roles.length === ROLES.length) {
    note(process.stdout, json ? `running at ${server.url}` : `\nPatchbay is running at ${server.url}\n  try: npx patchbay send "hello"   (Ctrl-C stops)\n`);
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        note(process.stderr, `${signal} again: exiting without waiting`);
        process.exit(1);
      }
      stopping = true;
      note(process.stderr, `${signal}: stopping (finishing writes)…`);
      server.stop().then(
        () => resolve(0),
        (error) => {
          note(process.stderr, `shutdown failed: ${(error as Error).message}`);
          resolve(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

function usage(message: string): number {
  process.stderr.write(`patchbay: ${message}\n\n${USAGE}\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError || error instanceof ApiError) process.stderr.write(`patchbay: ${error.message}\n`);
    else process.stderr.write(`patchbay: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
