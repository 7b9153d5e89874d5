import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { configuredDefaultAgent } from '@patchbay/agents';
import { ConfigError, ConfigSchema } from '@patchbay/config';

/** Where a channel's token comes from: written into the file, or the environment variable the loader reads. */
type TokenSource = { token: string } | { fromEnv: true };

export interface InitAnswers {
  telegram?: TokenSource;
  discord?: TokenSource;
  github?: TokenSource & { repos: string[] };
  /** Owners besides this machine's users (`local:*`), as `<channel>:<user id>`. */
  owners: string[];
  /** null: the first agent installed and logged in, else the demo. */
  defaultAgent: string | null;
}

type Channel = 'telegram' | 'discord' | 'github';
const CHANNELS: Record<Channel, { title: string; env: string; what: string }> = {
  telegram: { title: 'Telegram', env: 'TELEGRAM_BOT_TOKEN', what: 'bot token (from @BotFather)' },
  discord: { title: 'Discord', env: 'DISCORD_BOT_TOKEN', what: 'bot token' },
  github: { title: 'GitHub', env: 'GITHUB_TOKEN', what: 'token (a machine user’s)' },
};

/** Asks the user one question at a time. */
export interface Prompter {
  ask(question: string): Promise<string>;
  close(): void;
}

/** The terminal's prompter (questions on stderr, so stdout stays the command's own); null when stdin is no terminal. */
export function terminalPrompter(): Prompter | null {
  return process.stdin.isTTY ? new TerminalPrompter() : null;
}

class TerminalPrompter implements Prompter {
  private readonly rl = createInterface({ input: process.stdin, output: process.stderr });

  async ask(question: string): Promise<string> {
    return (await this.rl.question(question)).trim();
  }

  close(): void {
    this.rl.close();
  }
}

const OPTIONS = {
  yes: { type: 'boolean' },
  force: { type: 'boolean' },
  file: { type: 'string' },
  owner: { type: 'string', multiple: true },
  'default-agent': { type: 'string' },
  'telegram-token': { type: 'string' },
  'telegram-token-env': { type: 'boolean' },
  'discord-token': { type: 'string' },
  'discord-token-env': { type: 'boolean' },
  'github-token': { type: 'string' },
  'github-token-env': { type: 'boolean' },
  'github-repo': { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

export const INIT_USAGE = `Usage: patchbay init [--force] [--file patchbay.yaml]            (asks a few questions)
       patchbay init --yes [options]                               (for scripts)

  --telegram-token <t> | --telegram-token-env   enable Telegram: write the token, or read TELEGRAM_BOT_TOKEN
  --discord-token <t>  | --discord-token-env    enable Discord (DISCORD_BOT_TOKEN)
  --github-token <t>   | --github-token-env     enable GitHub, polling --github-repo owner/name (GITHUB_TOKEN)
  --owner <channel:id>                          an owner besides this machine's users (repeatable)
  --default-agent <name>                        demo, claude, codex, opencode; default: the first logged in
  --force                                       replace an existing file`;

/**
 * `patchbay init`: writes a commented patchbay.yaml from a few answers (asked on a
 * terminal, or taken from flags with --yes). Never replaces a file without --force.
 */
export async function initCommand(argv: string[], cwd = process.cwd(), prompter: () => Prompter | null = terminalPrompter): Promise<number> {
  const { values, positionals } = parseInitArgs(argv);
  if (values.help) {
    process.stdout.write(`${INIT_USAGE}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new ConfigError(`init takes no arguments (got ${positionals.join(' ')})\n\n${INIT_USAGE}`);
  const file = resolve(cwd, values.file ?? 'patchbay.yaml');
  if (existsSync(file) && !values.force) throw new ConfigError(`${file} exists: pass --force to replace it`);
  let answers: InitAnswers;
  if (values.yes) answers = answersFromFlags(values);
  else {
    const ask = prompter();
    if (!ask) throw new ConfigError('init asks questions on a terminal; for scripts pass --yes and flags (patchbay init --help)');
    try {
      answers = await askAnswers(ask);
    } finally {
      ask.close();
    }
  }
  const yaml = renderConfig(answers);
  checkAnswers(answers, yaml);
  const holdsToken = [answers.telegram, answers.discord, answers.github].some((source) => source && 'token' in source);
  // A file with a token in it is for its owner's eyes only.
  writeFileSync(file, yaml, { mode: holdsToken ? 0o600 : 0o644 });
  process.stdout.write(`wrote ${file}\n  next: npm start, then npx patchbay send "hello" (patchbay doctor checks the setup)\n`);
  return 0;
}

function parseInitArgs(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new ConfigError(`init: ${(error as Error).message}\n\n${INIT_USAGE}`);
  }
}

type Flags = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];

export function answersFromFlags(values: Flags): InitAnswers {
  const source = (channel: Channel): TokenSource | undefined => {
    const token = values[`${channel}-token`];
    const fromEnv = values[`${channel}-token-env`];
    if (token !== undefined && fromEnv) throw new ConfigError(`--${channel}-token and --${channel}-token-env: pick one`);
    if (token !== undefined) {
      if (!token) throw new ConfigError(`--${channel}-token is empty`);
      return { token };
    }
    return fromEnv ? { fromEnv: true } : undefined;
  };
  const github = source('github');
  const repos = values['github-repo'] ?? [];
  if (repos.length > 0 && !github) throw new ConfigError('--github-repo needs --github-token or --github-token-env');
  return {
    telegram: source('telegram'),
    discord: source('discord'),
    github: github && { ...github, repos },
    owners: values.owner ?? [],
    defaultAgent: values['default-agent'] || null,
  };
}

async function askAnswers(prompter: Prompter): Promise<InitAnswers> {
  const list = (text: string) => text.split(/[\s,]+/).filter(Boolean);
  const chosen = list(await prompter.ask('Channels to enable besides the CLI and web page (telegram, discord, github; empty for none): '));
  const unknown = chosen.filter((c) => !(c in CHANNELS));
  if (unknown.length > 0) throw new ConfigError(`unknown channel(s) ${unknown.join(', ')}: expected telegram, discord or github`);
  const answers: InitAnswers = { owners: [], defaultAgent: null };
  for (const channel of chosen as Channel[]) {
    const { title, env, what } = CHANNELS[channel];
    const token = await prompter.ask(`${title} ${what} (empty: read ${env} from the environment, not written to the file): `);
    const source: TokenSource = token ? { token } : { fromEnv: true };
    if (channel === 'github') {
      const repos = list(await prompter.ask('GitHub repositories to answer in (owner/name, comma-separated): '));
      answers.github = { ...source, repos };
    } else answers[channel] = source;
  }
  answers.owners = list(await prompter.ask('Owners besides this machine’s users (e.g. telegram:12345, comma-separated; empty for none): '));
  answers.defaultAgent = (await prompter.ask('Default agent (demo, claude, codex, opencode; empty: the first one installed and logged in): ')) || null;
  return answers;
}

/** The commented patchbay.yaml for these answers. Values go out as JSON strings, which YAML reads as they are. */
export function renderConfig(answers: InitAnswers): string {
  const q = (value: string) => JSON.stringify(value);
  const lines = [
    '# Patchbay configuration, written by `patchbay init`. Every key is optional; patchbay.example.yaml',
    '# shows them all. Environment variables (NATS_URL, DATABASE_URL, TELEGRAM_BOT_TOKEN, …) override this file.',
    '',
    'http:',
    '  host: 127.0.0.1                 # PATCHBAY_HTTP_HOST: loopback only; another host needs http.tokens',
    '  port: 7340                      # PATCHBAY_HTTP_PORT',
    '',
    '# Who may do what: owners may do anything; unknown senders get a pairing code (patchbay pair).',
    'access:',
    `  owners: [${['local:*', ...answers.owners].map(q).join(', ')}]   # local:* = anyone using the CLI or HTTP API on this machine`,
    '',
  ];
  const tokenLines = (channel: Channel, source: TokenSource) =>
    'token' in source
      ? [`  token: ${q(source.token)}        # ${CHANNELS[channel].env} overrides it; keep this file private`]
      : [`  # token: read from the environment variable ${CHANNELS[channel].env} (not written here)`];
  if (answers.telegram)
    lines.push(
      '# Telegram: on while a bot token is set.',
      'telegram:',
      ...tokenLines('telegram', answers.telegram),
      '  mode: polling                   # needs nothing reachable from outside',
      '',
    );
  if (answers.discord)
    lines.push(
      '# Discord: on while a bot token is set.',
      'discord:',
      ...tokenLines('discord', answers.discord),
      '  threadPerSession: true          # each new session gets its own thread',
      '',
    );
  if (answers.github) {
    lines.push(
      '# GitHub: issues with the label, @mentions and comments start runs; on while a token is set.',
      'github:',
      ...tokenLines('github', answers.github),
      '  mode: polling                   # Patchbay asks GitHub; webhook mode needs a public URL and webhookSecret',
      `  repos: [${answers.github.repos.map(q).join(', ')}]`,
      '  label: patchbay                 # an issue opened or labelled with it becomes a task',
      '',
    );
  }
  lines.push(
    answers.defaultAgent
      ? `defaultAgent: ${q(answers.defaultAgent)}          # PATCHBAY_DEFAULT_AGENT; \`patchbay doctor\` says whether it is logged in`
      : '# defaultAgent: claude            # PATCHBAY_DEFAULT_AGENT; unset: the first agent installed and logged in, else the demo',
  );
  return `${lines.join('\n')}\n`;
}

/** Refuses answers the loader (or start) would refuse: a bad owner, an unknown agent, GitHub without repositories. */
function checkAnswers(answers: InitAnswers, yaml: string): void {
  const parsed = ConfigSchema.safeParse({ ...(parseYaml(yaml) as Record<string, unknown>), home: '/' });
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  if (answers.github && answers.github.repos.length === 0) problems.push('  github.repos: name at least one repository (owner/name) to answer in');
  if (parsed.success) {
    try {
      configuredDefaultAgent(parsed.data);
    } catch (error) {
      problems.push(`  ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(`init: nothing written:\n${problems.join('\n')}`);
}
