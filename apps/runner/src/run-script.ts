/** Quotes one word for bash, so prompts with quotes, `$` or newlines pass through intact. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

export interface RunScriptOptions {
  runId: string;
  sessionId: string;
  taskId: string;
  agent: string;
  argv: string[];
  cwd: string;
  runDir: string;
}

export const RUN_FILES = {
  script: 'run.sh',
  /** The agent's environment; read once by run.sh and deleted, as it may hold secrets. */
  env: 'env.sh',
  stdout: 'stdout.log',
  stderr: 'stderr.log',
  /** The agent's own exit status, written inside the pipeline. */
  agentStatus: 'agent-status',
  exitCode: 'exit-code',
  /** Terminal mode: everything the pane printed (tmux pipe-pane). */
  pane: 'pane.log',
  /** Terminal mode: created once pipe-pane listens, so no early output is missed. */
  go: 'go',
  /** Approvals: where the runner listens for the permission MCP server (only the runner's user may connect). */
  approvalSocket: 'approvals.sock',
  /** Approvals: the MCP config that has claude start the permission server (--mcp-config). */
  mcpConfig: 'mcp.json',
} as const;

/** What every agent gets of the runner's environment: where programs are, who and where it is, its locale. */
const BASE_ENV = new Set(['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'TERM', 'TZ', 'TMPDIR']);
const BASE_ENV_PREFIX = 'LC_';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The agent's environment file: an allowlist, never the runner's whole environment (which
 * holds Patchbay's own tokens). The base variables, the names in `passEnv` (the profile's,
 * e.g. ANTHROPIC_API_KEY) if the runner has them, then the profile's own values. run.sh is
 * started under `env -i`, so nothing else reaches the agent from the tmux server either.
 */
export function envScript(inherited: NodeJS.ProcessEnv, passEnv: readonly string[], overrides: Record<string, string>): string {
  const passed = new Set(passEnv);
  const merged: Record<string, string> = {};
  for (const [key, value] of Object.entries(inherited)) {
    if (value === undefined || !ENV_NAME.test(key)) continue;
    if (BASE_ENV.has(key) || key.startsWith(BASE_ENV_PREFIX) || passed.has(key)) merged[key] = value;
  }
  Object.assign(merged, overrides);
  return Object.entries(merged)
    .map(([k, v]) => `export ${k}=${shellQuote(v)}\n`)
    .join('');
}

/**
 * The command tmux runs for a run script. A tmux server keeps the environment it started
 * with (the first runner's, secrets and all) and hands it to every new pane: `env -i`
 * drops it, keeping only the pane's TERM (tmux's own) and a PATH to find bash by; env.sh
 * then sets the agent's environment.
 */
export function scriptCommand(script: string): string {
  return `exec env -i TERM="$TERM" PATH="$PATH" bash ${shellQuote(script)}`;
}

/**
 * The script tmux runs for one agent run. The agent's stdout is shown in the pane and
 * appended to stdout.log (what the runner streams); `exit-code` appears when it ends.
 *
 * The pipeline runs in the background and the script `wait`s for it, because bash runs a
 * trap only between commands: when the tmux session is killed (HUP) or the run is stopped
 * (TERM), the trap fires at once, ends the agent's whole process group and writes
 * `exit-code`, so the runner learns of the end without polling tmux.
 */
export function runScript(o: RunScriptOptions): string {
  const file = (name: string) => shellQuote(`${o.runDir}/${name}`);
  return [
    ...prologue(o, file),
    `stop() { trap '' HUP TERM; kill -TERM 0 2>/dev/null; finish "$1"; exit "$1"; }`,
    "trap 'stop 129' HUP",
    "trap 'stop 143' TERM",
    ...enter(o, file),
    `{ ${o.argv.map(shellQuote).join(' ')} < /dev/null 2> >(tee -a ${file(RUN_FILES.stderr)} >&2); echo $? > ${file(RUN_FILES.agentStatus)}; } | tee -a ${file(RUN_FILES.stdout)} &`,
    'wait $!',
    `finish "$(cat ${file(RUN_FILES.agentStatus)} 2>/dev/null || echo 125)"`,
    '',
  ].join('\n');
}

/**
 * Terminal mode: the program owns the pane (it needs the terminal), and the runner reads
 * the pane through pipe-pane. The script waits for `go` so not a byte is printed before
 * pipe-pane listens. A killed session hangs up the program; the trap records that.
 */
export function terminalScript(o: RunScriptOptions): string {
  const file = (name: string) => shellQuote(`${o.runDir}/${name}`);
  return [
    ...prologue(o, file),
    "trap 'finish 129; exit 129' HUP",
    "trap 'finish 143; exit 143' TERM",
    ...enter(o, file),
    `while [ ! -e ${file(RUN_FILES.go)} ]; do sleep 0.05; done`,
    o.argv.map(shellQuote).join(' '),
    'finish "$?"',
    '',
  ].join('\n');
}

function prologue(o: RunScriptOptions, file: (name: string) => string): string[] {
  return [
    '#!/usr/bin/env bash',
    `# Patchbay run ${o.runId}: agent ${o.agent}, session ${o.sessionId}, task ${o.taskId}.`,
    `finish() { printf '%s\\n' "$1" > ${file(`${RUN_FILES.exitCode}.tmp`)} && mv ${file(`${RUN_FILES.exitCode}.tmp`)} ${file(RUN_FILES.exitCode)}; }`,
  ];
}

function enter(o: RunScriptOptions, file: (name: string) => string): string[] {
  return [
    `. ${file(RUN_FILES.env)}; rm -f ${file(RUN_FILES.env)}`,
    `cd ${shellQuote(o.cwd)} || { echo ${shellQuote(`patchbay: cannot enter ${o.cwd}`)} >> ${file(RUN_FILES.stderr)}; finish 126; exit 126; }`,
  ];
}
