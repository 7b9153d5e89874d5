import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPatchbay as patchbay, removeScratch, scratchDir, writeConfig } from './support/patchbay-processes';
import { describeWith, NATS_URL, POSTGRES_URL } from './support/services';

// Each case starts the CLI (a Node process, 2-4 s on a busy machine): jest's 5 s default is too tight.
jest.setTimeout(30_000);

describe('patchbay CLI', () => {
  const dir = scratchDir('cli');
  const home = join(dir, 'home');
  afterAll(() => removeScratch(dir));

  it('refuses a bad config at start, naming the key, the file and what was expected', async () => {
    const file = writeConfig(dir, 'http:\n  port: "seventy"\n');
    const result = await patchbay(['start'], { PATCHBAY_CONFIG: file, PATCHBAY_HOME: home });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('http.port');
    expect(result.stderr).toContain(file);
    expect(result.stderr).toMatch(/expected number/);
  });

  it('names the environment variable when an override is wrong', async () => {
    const result = await patchbay(['sessions'], { PATCHBAY_CONFIG: '', PATCHBAY_HOME: home, PATCHBAY_HTTP_PORT: 'x' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('PATCHBAY_HTTP_PORT');
  });

  it('will not serve HTTP beyond loopback without an API token', async () => {
    const result = await patchbay(['start'], { PATCHBAY_CONFIG: '', PATCHBAY_HOME: home, PATCHBAY_HTTP_HOST: '0.0.0.0', PATCHBAY_API_TOKEN: '' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('patchbay: http.host is 0.0.0.0, which other machines can reach, and no API token is configured');
    expect(result.stderr).toContain('add http.tokens');
    expect(result.stderr).toContain('PATCHBAY_API_TOKEN');
  });

  it('will not start a single role without NATS', async () => {
    const result = await patchbay(['start', 'runner'], { PATCHBAY_HOME: home, NATS_URL: '' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('set NATS_URL');
  });

  it('says how to start Patchbay when nothing answers', async () => {
    const result = await patchbay(['send', 'hello'], { PATCHBAY_HOME: home, PATCHBAY_URL: 'http://127.0.0.1:9' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot reach Patchbay at http://127.0.0.1:9');
  });

  it('prints usage for an unknown command', async () => {
    const result = await patchbay(['frobnicate'], { PATCHBAY_HOME: home });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown command "frobnicate"');
    expect(result.stderr).toContain('Usage: patchbay');
  });

  it("prints the version from Patchbay's package.json", async () => {
    const { version } = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
    expect(await patchbay(['--version'], { PATCHBAY_HOME: home })).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });
});

describeWith(['nats', 'postgres', 'tmux'], 'patchbay doctor', () => {
  const dir = scratchDir('doctor');
  afterAll(() => removeScratch(dir));

  it('checks node, tmux, agents, NATS and PostgreSQL, and says the server is not running', async () => {
    const result = await patchbay(['doctor'], {
      PATCHBAY_HOME: join(dir, 'home'),
      PATCHBAY_CONFIG: writeConfig(dir, 'defaultAgent: demo\n'),
      NATS_URL,
      DATABASE_URL: POSTGRES_URL,
      PATCHBAY_URL: 'http://127.0.0.1:9',
    });
    expect(result.stdout).toMatch(/^✓ node: v\d+/m);
    expect(result.stdout).toMatch(/^✓ tmux: tmux \d/m);
    expect(result.stdout).toMatch(/^✓ agent demo: /m);
    expect(result.stdout).toMatch(/^✓ nats: nats:\/\/127\.0\.0\.1:4222.*JetStream on/m);
    expect(result.stdout).toMatch(/^✓ postgresql: .*server \d+/m);
    expect(result.stdout).toMatch(/^! server: nothing answers at http:\/\/127\.0\.0\.1:9/m);
    expect(result.code).toBe(0);
  });

  it('fails when PostgreSQL cannot be reached', async () => {
    const result = await patchbay(['doctor'], {
      PATCHBAY_HOME: join(dir, 'home'),
      DATABASE_URL: 'postgres://nobody:secret@127.0.0.1:9/none',
      PATCHBAY_URL: 'http://127.0.0.1:9',
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^✗ postgresql: postgres:\/\/nobody:\*\*\*@127\.0\.0\.1:9\/none: /m);
    expect(result.stdout).not.toContain('secret');
  });
});
