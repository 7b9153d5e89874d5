import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config.loader';

describe('loadConfig', () => {
  let dir: string;
  let home: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pb-config-'));
    home = join(dir, 'home');
    mkdirSync(home);
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Writes a file under the test's directory and returns its path. */
  function write(name: string, text: string): string {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  }

  /** Loads with only the given environment (PATCHBAY_HOME is the test's home), run from `dir`. */
  const load = (env: NodeJS.ProcessEnv = {}) => loadConfig({ PATCHBAY_HOME: home, ...env }, dir);

  function loadError(env: NodeJS.ProcessEnv = {}): string {
    try {
      load(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error('expected loadConfig to throw');
  }

  it('gives the defaults without a file, with home from PATCHBAY_HOME', () => {
    const { config, file } = load();
    expect(file).toBeNull();
    expect(config).toEqual({
      home,
      http: { host: '127.0.0.1', port: 7340, tokens: [], allowedHosts: [], sessionTtlHours: 12, maxStreamsPerClient: 16, maxStreams: 256 },
      bus: { prefix: 'pb', requestTimeoutMs: 5000, nats: {}, inbound: { maxDeliver: 5, backoffMs: [1000, 5000, 30000, 120000] } },
      database: { embeddedPort: 0 },
      tmux: {},
      runner: { capacity: 4 },
      access: { owners: ['local:*'], operators: [], viewers: [] },
      log: { level: 'info', format: 'text' },
      metrics: { scrapeWindowMs: 1000 },
      pairing: { newCodesPerHour: 20 },
      routing: { rules: [], fallback: [] },
      approvals: { timeoutSeconds: 600 },
      maxAttempts: 2,
      telegram: { mode: 'polling' },
      discord: { threadPerSession: true },
      github: { mode: 'webhook', pollIntervalSeconds: 60, repos: [], label: 'patchbay', trustedLogins: [], pullRequests: false },
      agents: {},
      redact: { patterns: [] },
    });
  });

  it('reads patchbay.example.yaml, whose empty sections mean the defaults', () => {
    const example = readFileSync(join(__dirname, '..', '..', '..', 'patchbay.example.yaml'), 'utf8');
    write('patchbay.yaml', example);
    const { config } = load();
    expect(config.tmux).toEqual({});
    expect(config.access.owners).toEqual(['local:*']);
    expect(config.agents.claude).toEqual({ allowedTools: ['Read', 'Edit', 'Bash'] });
  });

  it('gives an agent worktree its defaults: from HEAD, removed on success, not pushed', () => {
    write('patchbay.yaml', 'agents: { coder: { command: x, worktree: { repo: /srv/app } } }');
    expect(load().config.agents.coder.worktree).toEqual({ repo: '/srv/app', base: 'HEAD', cleanup: 'on_success', push: false });
  });

  it('wants a GitHub App id and its private key together', () => {
    write('patchbay.yaml', 'github: { appId: "123" }');
    expect(() => load()).toThrow(/github\.privateKey/);
  });

  it('expands ~/ in PATCHBAY_HOME', () => {
    expect(load({ PATCHBAY_HOME: '~/pb-somewhere' }).config.home).toBe(join(homedir(), 'pb-somewhere'));
  });

  it('reads ./patchbay.yaml before $PATCHBAY_HOME/patchbay.yaml', () => {
    write('home/patchbay.yaml', 'http: { port: 1111 }');
    expect(load()).toMatchObject({ file: join(home, 'patchbay.yaml'), config: { http: { port: 1111 } } });
    const local = write('patchbay.yaml', 'http: { port: 2222 }');
    expect(load()).toMatchObject({ file: local, config: { http: { port: 2222 } } });
  });

  it('reads the file PATCHBAY_CONFIG names, relative to cwd', () => {
    write('patchbay.yaml', 'http: { port: 1111 }');
    const other = write('other.yaml', 'http: { port: 3333 }\nbus: { prefix: dev }');
    expect(load({ PATCHBAY_CONFIG: 'other.yaml' })).toMatchObject({
      file: other,
      config: { http: { port: 3333 }, bus: { prefix: 'dev' } },
    });
  });

  it('treats an empty file as defaults', () => {
    write('patchbay.yaml', '');
    expect(load().config.http).toEqual({ host: '127.0.0.1', port: 7340, tokens: [], allowedHosts: [], sessionTtlHours: 12, maxStreamsPerClient: 16, maxStreams: 256 });
  });

  it('lets environment variables override the file', () => {
    write('patchbay.yaml', 'http: { host: 0.0.0.0, port: 1111 }\ndatabase: { url: "postgres://file/db" }');
    const { config } = load({
      PATCHBAY_HTTP_PORT: '8080',
      NATS_URL: 'nats://10.0.0.1:4222',
      DATABASE_URL: 'postgresql://env/db',
      PATCHBAY_BUS_PREFIX: 'staging',
      PATCHBAY_TMUX_SOCKET: 'pbsock',
      PATCHBAY_RUNNER_ID: 'runner-7',
      PATCHBAY_DEFAULT_AGENT: 'codex',
    });
    expect(config.http).toMatchObject({ host: '0.0.0.0', port: 8080 });
    expect(config.bus).toMatchObject({ natsUrl: 'nats://10.0.0.1:4222', prefix: 'staging' });
    expect(config.database.url).toBe('postgresql://env/db');
    expect(config.tmux.socket).toBe('pbsock');
    expect(config.runner.id).toBe('runner-7');
    expect(config.defaultAgent).toBe('codex');
  });

  it('takes log.level and log.format from the file, PATCHBAY_LOG_LEVEL and PATCHBAY_LOG_FORMAT over it', () => {
    write('patchbay.yaml', 'log: { level: warn, format: text }');
    expect(load().config.log).toEqual({ level: 'warn', format: 'text' });
    expect(load({ PATCHBAY_LOG_LEVEL: 'debug', PATCHBAY_LOG_FORMAT: 'json' }).config.log).toEqual({ level: 'debug', format: 'json' });
    expect(loadError({ PATCHBAY_LOG_FORMAT: 'xml' })).toMatch('log.format (from environment variable PATCHBAY_LOG_FORMAT)');
  });

  it('ignores environment variables set to the empty string', () => {
    write('patchbay.yaml', 'http: { port: 1111 }');
    expect(load({ PATCHBAY_HTTP_PORT: '', NATS_URL: '' }).config).toMatchObject({ http: { port: 1111 }, bus: {} });
    expect(load({ NATS_URL: '' }).config.bus.natsUrl).toBeUndefined();
  });

  it('names the key, the file and the expectation for a bad value in the file', () => {
    const file = write('patchbay.yaml', 'http: { port: "abc" }');
    expect(loadError()).toMatch(`http.port (from ${file}): Invalid input: expected number, received string`);
  });

  it('names the environment variable for a bad value from the environment', () => {
    write('patchbay.yaml', 'http: { port: 1111 }');
    expect(loadError({ PATCHBAY_HTTP_PORT: 'abc' })).toMatch('http.port (from environment variable PATCHBAY_HTTP_PORT): Invalid input: expected number, received string');
  });

  it('lists every problem, one per line', () => {
    const file = write('patchbay.yaml', 'http: { port: 70000 }\nbus: { prefix: "Not OK" }');
    const lines = loadError().split('\n');
    expect(lines[0]).toBe('invalid configuration:');
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(new RegExp(`^  http\\.port \\(from ${escape(file)}\\): .*65535`)),
      `  bus.prefix (from ${file}): expected lowercase letters, digits, - or _`,
    ]);
  });

  it('reads the inbound retry settings, and names a bad one', () => {
    write('patchbay.yaml', 'bus: { inbound: { maxDeliver: 3, backoffMs: [10, 20] } }');
    expect(load().config.bus.inbound).toEqual({ maxDeliver: 3, backoffMs: [10, 20] });
    const file = write('patchbay.yaml', 'bus: { inbound: { maxDeliver: 0, backoffMs: [] } }');
    const message = loadError();
    expect(message).toContain(`bus.inbound.maxDeliver (from ${file}): Too small`);
    expect(message).toContain(`bus.inbound.backoffMs (from ${file}): Too small`);
  });

  it('reports unknown keys, at the top level and inside a section', () => {
    const file = write('patchbay.yaml', 'htpp: { port: 1 }\nbus: { prefx: pb }');
    const message = loadError();
    expect(message).toContain(`(top level) (from ${file}): unknown key(s) htpp`);
    expect(message).toContain(`bus (from ${file}): unknown key(s) prefx`);
  });

  it('names the missing file PATCHBAY_CONFIG points to', () => {
    expect(loadError({ PATCHBAY_CONFIG: 'nowhere.yaml' })).toBe(`PATCHBAY_CONFIG names ${join(dir, 'nowhere.yaml')}, which does not exist`);
  });

  it('names the file that is not valid YAML', () => {
    const file = write('patchbay.yaml', 'http: { port: 1\nbus: [');
    expect(loadError()).toMatch(new RegExp(`^${escape(file)}: not valid YAML: .*line 2`, 's'));
  });

  it('refuses a file whose top level is not a mapping', () => {
    const file = write('patchbay.yaml', '- http\n- bus\n');
    expect(loadError()).toBe(`${file}: expected a mapping of keys at the top level`);
  });

  it('names the index of a redact pattern that is not a valid regular expression', () => {
    const file = write('patchbay.yaml', 'redact:\n  patterns: ["ACME[0-9]{6}", "(unclosed"]');
    expect(loadError()).toMatch(`redact.patterns.1 (from ${file}): not a valid regular expression: Invalid regular expression: /(unclosed/`);
  });

  describe('agents', () => {
    it('keeps only what an agent entry sets (built-in values and defaults come later)', () => {
      write('patchbay.yaml', 'agents:\n  foo: { command: foo-cli }\n  claude: { env: { A: "1" } }');
      expect(load().config.agents).toEqual({ foo: { command: 'foo-cli' }, claude: { env: { A: '1' } } });
    });

    it("expands ~/ in an agent's cwd", () => {
      write('patchbay.yaml', 'agents:\n  foo: { command: foo-cli, cwd: ~/projects/app }\n  bar: { command: bar-cli, cwd: /srv/app }');
      const { agents } = load().config;
      expect([agents.foo.cwd, agents.bar.cwd]).toEqual([join(homedir(), 'projects/app'), '/srv/app']);
    });

    it('checks the types of agent fields', () => {
      const file = write('patchbay.yaml', 'agents:\n  foo: { command: foo-cli, args: "-p" }');
      expect(loadError()).toMatch(`agents.foo.args (from ${file}): Invalid input: expected array, received string`);
    });

    it('wants passEnv entries to be environment variable names', () => {
      const file = write('patchbay.yaml', 'agents:\n  foo: { command: foo-cli, passEnv: [MY_KEY, "BAD-NAME"] }');
      expect(loadError()).toMatch(`agents.foo.passEnv.1 (from ${file}): an environment variable name (letters, digits, _)`);
    });

    it('reports an unknown key in a profile', () => {
      const file = write('patchbay.yaml', 'agents:\n  foo: { command: foo-cli, argz: [] }');
      expect(loadError()).toMatch(`agents.foo (from ${file}): unknown key(s) argz`);
    });

    it('refuses an agent name that is not lowercase letters, digits, - or _', () => {
      const file = write('patchbay.yaml', 'agents:\n  "My Agent": { command: x }');
      expect(loadError()).toMatch(`agents.My Agent (from ${file}): agent names are lowercase letters, digits, - and _`);
    });
  });

  describe('bus trust', () => {
    it('reads the bus secret and the NATS credentials from the environment', () => {
      write('patchbay.yaml', 'bus:\n  nats:\n    tls: { caFile: /etc/pb/ca.pem }\n');
      const { config } = load({
        PATCHBAY_BUS_SECRET: 's'.repeat(32),
        PATCHBAY_NATS_USER: 'gateway',
        PATCHBAY_NATS_PASSWORD: 'gateway-password',
        PATCHBAY_NATS_TOKEN: 'a-token',
        PATCHBAY_NATS_NKEY_SEED: 'SUAEXAMPLE',
        PATCHBAY_NATS_CREDS: '/etc/pb/gateway.creds',
      });
      expect(config.bus).toMatchObject({
        secret: 's'.repeat(32),
        nats: { user: 'gateway', password: 'gateway-password', token: 'a-token', nkeySeed: 'SUAEXAMPLE', credsFile: '/etc/pb/gateway.creds', tls: { caFile: '/etc/pb/ca.pem' } },
      });
    });

    it('refuses a bus secret shorter than 32 characters, naming where it came from', () => {
      expect(loadError({ PATCHBAY_BUS_SECRET: 'short' })).toContain('bus.secret (from environment variable PATCHBAY_BUS_SECRET): bus.secret needs at least 32 characters');
    });

    it('reports an unknown key under bus.nats and its tls', () => {
      const file = write('patchbay.yaml', 'bus:\n  nats: { pass: x, tls: { ca: x } }\n');
      expect(loadError()).toContain(`bus.nats (from ${file}): unknown key(s) pass`);
      expect(loadError()).toContain(`bus.nats.tls (from ${file}): unknown key(s) ca`);
    });
  });

  describe('HTTP API tokens', () => {
    const owner = { name: 'ci', token: 'c'.repeat(20), role: 'owner' };

    it("adds PATCHBAY_API_TOKEN as an owner token named env, after the file's", () => {
      write('patchbay.yaml', `http:\n  tokens:\n    - ${JSON.stringify(owner)}\n`);
      expect(load({ PATCHBAY_API_TOKEN: 'e'.repeat(16) }).config.http.tokens).toEqual([owner, { name: 'env', token: 'e'.repeat(16), role: 'owner' }]);
    });

    it('refuses a short token, naming where it came from', () => {
      expect(loadError({ PATCHBAY_API_TOKEN: 'short' })).toContain('http.tokens.0.token (from environment variable PATCHBAY_API_TOKEN): an API token needs at least 16 characters');
    });

    it('refuses a role that is not a contracts Role, and duplicate names', () => {
      write('patchbay.yaml', `http:\n  tokens:\n    - ${JSON.stringify({ ...owner, role: 'admin' })}\n`);
      expect(loadError()).toContain('http.tokens.0.role');
      write('patchbay.yaml', `http:\n  tokens:\n    - ${JSON.stringify(owner)}\n    - ${JSON.stringify({ ...owner, token: 'd'.repeat(20) })}\n`);
      expect(loadError()).toContain('token names must be unique');
    });
  });
});

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
