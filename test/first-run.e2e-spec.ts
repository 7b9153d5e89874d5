import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { PatchbayInstance } from './support/patchbay-instance';
import { runPatchbay, writeConfig } from './support/patchbay-processes';
import { describeWith } from './support/services';

jest.setTimeout(180_000);

/** What `npm start` puts first on the PATH: the checkout's node_modules/.bin (holding the dev dependency claude). */
const OWN_BIN = join(__dirname, '..', 'node_modules', '.bin');

/** A fresh user's environment: no agent login, no key, nothing configured. */
const FRESH_USER: NodeJS.ProcessEnv = Object.fromEntries(
  [
    'ANTHROPIC_API_KEY',
    'ANTHROPIC_AUTH_TOKEN',
    'ANTHROPIC_BASE_URL',
    'CLAUDE_CODE_OAUTH_TOKEN',
    'CLAUDE_CONFIG_DIR',
    'OPENAI_API_KEY',
    'CODEX_API_KEY',
    'XDG_DATA_HOME',
    'PATCHBAY_DEFAULT_AGENT',
    'PATCHBAY_API_TOKEN',
    'DATABASE_URL',
    'NATS_URL',
  ].map((name) => [name, '']),
);

/**
 * A newcomer's first minutes (issue #10): a `claude` is installed but not logged in, and
 * the built all-in-one starts as `npm start` would. The first message gets the demo
 * agent's answer and the reason it is the demo; doctor reports what the instance uses.
 */
describeWith(['tmux'], 'first run: claude installed but not logged in (all-in-one, embedded PostgreSQL)', () => {
  let patchbay: PatchbayInstance;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    patchbay = PatchbayInstance.prepare('first-run');
    const userBin = join(patchbay.dir, 'bin');
    const home = join(patchbay.dir, 'user-home');
    mkdirSync(userBin);
    mkdirSync(home);
    // Running it would fail the test: the default agent must not be a CLI that is not logged in.
    writeFileSync(join(userBin, 'claude'), '#!/bin/sh\necho "fake claude ran: it is not logged in" >&2\nexit 1\n');
    chmodSync(join(userBin, 'claude'), 0o755);
    env = { ...process.env, ...FRESH_USER, HOME: home, PATH: [OWN_BIN, userBin, process.env.PATH].join(delimiter) };
    await patchbay.start({}, env);
    env.PATCHBAY_URL = patchbay.url;
  });

  afterAll(async () => {
    await patchbay?.stop();
  });

  it('answers `patchbay send "hello"` with the demo agent, says why it is the demo, and exits 0', async () => {
    const result = await runPatchbay(['send', 'hello'], env);
    expect(result.stderr).not.toContain('fake claude ran');
    expect(result.stdout).toContain("[demo agent] This is Patchbay's built-in demo agent, not an AI.");
    expect(result.stdout).toContain('[demo agent] You said: "hello"');
    expect(result.stderr).toContain('Using the demo agent: claude is installed but not logged in: run `claude` once, or set ANTHROPIC_API_KEY.');
    expect(result.stderr).toMatch(/^task \w+ in session \w+\n/m);
    expect(result.code).toBe(0);
  });

  it('runs doctor against the running instance: its embedded PostgreSQL, runner, and claude not logged in with the fix', async () => {
    const result = await runPatchbay(['doctor'], env);
    expect(result.stdout).toContain(`✓ server: ${patchbay.url} is running; the lines below are what it uses`);
    expect(result.stdout).toMatch(/^✓ postgresql: connected to embedded PostgreSQL on 127\.0\.0\.1:\d+, data in /m);
    expect(result.stdout).not.toContain('embedded binaries');
    expect(result.stdout).toMatch(/^✓ bus: in-process \(all-in-one\)$/m);
    expect(result.stdout).toMatch(new RegExp(`^✓ runners: ${patchbay.runnerId}$`, 'm'));
    expect(result.stdout).toMatch(/^! agent claude: claude is installed but not logged in → run `claude` once, or set ANTHROPIC_API_KEY$/m);
    expect(result.stdout).toMatch(/^! default agent: demo → Using the demo agent: claude is installed but not logged in/m);
    expect(result.code).toBe(0);
  });

  it("does not count the claude of Patchbay's own node_modules as installed", async () => {
    mkdirSync(join(patchbay.dir, 'local'));
    const result = await runPatchbay(['doctor'], {
      ...env,
      PATH: [OWN_BIN, process.env.PATH].join(delimiter),
      PATCHBAY_URL: 'http://127.0.0.1:9',
      PATCHBAY_CONFIG: writeConfig(join(patchbay.dir, 'local'), ''),
    });
    expect(result.stdout).toMatch(/^! server: nothing answers at http:\/\/127\.0\.0\.1:9; checked this machine instead/m);
    expect(result.stdout).toMatch(/^! agent claude: "claude" not found on PATH → install claude/m);
    expect(result.stdout).toMatch(/^✓ default agent: demo$/m);
    expect(result.stdout).toMatch(/^✓ postgresql: embedded \(/m);
  });
});
