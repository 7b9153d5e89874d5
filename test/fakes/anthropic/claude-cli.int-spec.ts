import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claudeTestEnv, ClaudeTestEnvOptions } from './claude-env';
import { conversationTexts, FAKE_API_KEY, FAKE_MODEL, FakeAnthropicApi, FakeReply } from './fake-anthropic-api';

/**
 * The real `claude` CLI (node_modules/.bin/claude, a native binary) against FakeAnthropicApi,
 * run directly with child_process (not through Patchbay).
 *
 * Fixtures: the raw stream-json output of the text, tool-use and resume runs is saved under
 * test/fixtures/agent-streams/claude/ (see the README there) when a file is missing or when
 * UPDATE_CLAUDE_FIXTURES=1; otherwise the live output is checked to still have the same
 * kinds of lines as the fixture, so a CLI upgrade that changes the stream shows up here.
 */

jest.setTimeout(60_000);

const CLAUDE_BIN = join(__dirname, '../../../node_modules/.bin/claude');
const FIXTURES = join(__dirname, '../../fixtures/agent-streams/claude');
/** Temp paths in saved fixtures are replaced by this, so regenerating does not churn them. */
const FIXTURE_ROOT = '/tmp/patchbay-claude-fixture';
const STREAM_JSON = ['--output-format', 'stream-json', '--verbose'];

type Line = Record<string, any>;

interface ClaudeRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs the CLI to completion. stdin is /dev/null: with an open stdin pipe that never
 * ends, `claude -p` waits 3 s for piped input and warns on stderr before going on.
 */
function runClaude(args: string[], cwd: string, env: Record<string, string>, timeoutMs = 45_000): Promise<ClaudeRun> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(CLAUDE_BIN, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') reject(new Error(`claude ${args.join(' ')} timed out after ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
      else resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

function jsonl(stdout: string): Line[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as Line;
      } catch {
        throw new Error(`not a JSON line in claude's stream-json output: ${line}`);
      }
    });
}

/** A line's kind: `system/init`, `stream_event/content_block_delta`, `assistant`, `result/success`, … */
function kindOf(line: Line): string {
  const sub = line.type === 'stream_event' ? line.event?.type : line.subtype;
  return sub ? `${line.type}/${sub}` : String(line.type);
}

function describeRun(run: ClaudeRun, fake: FakeAnthropicApi): string {
  const requests = fake.requests.map((r) => `${r.seq} ${r.method} ${r.path} ${r.kind} ${r.status}${r.error ? ` (${r.error})` : ''}`);
  return `exit ${run.code} in ${run.ms} ms\nstderr: ${run.stderr}\nrequests:\n${requests.join('\n')}\nstdout:\n${run.stdout}`;
}

/** Saves a fixture (if missing or UPDATE_CLAUDE_FIXTURES=1), else checks the live run still has the same line kinds. */
function saveOrCompareFixture(name: string, stdout: string, root: string): void {
  const file = join(FIXTURES, name);
  // The temp root appears as a path (cwd, memory dir, socket) and as the CLI's project slug
  // (the path with every non-alphanumeric character turned into "-").
  const slug = (path: string) => path.replace(/[^a-zA-Z0-9]/g, '-');
  const stable = stdout.split(root).join(FIXTURE_ROOT).split(slug(root)).join(slug(FIXTURE_ROOT));
  if (process.env.UPDATE_CLAUDE_FIXTURES === '1' || !existsSync(file)) {
    mkdirSync(FIXTURES, { recursive: true });
    writeFileSync(file, stable);
    return;
  }
  const kinds = (text: string) => [...new Set(jsonl(text).map(kindOf))].sort();
  expect({ fixture: name, kinds: kinds(stdout) }).toEqual({ fixture: name, kinds: kinds(readFileSync(file, 'utf8')) });
}

const hasClaude = existsSync(CLAUDE_BIN);
const describeClaude = hasClaude ? describe : describe.skip;
if (!hasClaude) {
  const reason = `${CLAUDE_BIN} is missing (the dev dependency @anthropic-ai/claude-code is not installed)`;
  if (process.env.CI === 'true') {
    describe('claude CLI against FakeAnthropicApi', () => {
      it('has the claude binary', () => {
        throw new Error(`CI=true and ${reason}`);
      });
    });
  } else console.warn(`SKIPPED "claude CLI against FakeAnthropicApi": ${reason}`);
}

describeClaude('claude CLI against FakeAnthropicApi', () => {
  let root: string;
  let home: string;
  let fake: FakeAnthropicApi;
  /** Set by the text run; the resume run continues that session. */
  let first: { sessionId: string; work: string; reply: string } | undefined;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'pb-claude-cli-'));
    home = join(root, 'home');
    mkdirSync(home);
  });

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  async function startFake(script: FakeReply[]): Promise<string> {
    fake = new FakeAnthropicApi({ script });
    return fake.start();
  }

  afterEach(async () => {
    await fake?.stop();
  });

  function workDir(name: string): string {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  async function claude(args: string[], cwd: string, options: ClaudeTestEnvOptions = {}): Promise<ClaudeRun> {
    return runClaude(args, cwd, claudeTestEnv(fake.baseUrl, home, options));
  }

  /** Only main-conversation calls, all answered from the script, nothing unexpected. */
  function expectOnlyMainCalls(run: ClaudeRun, count: number): void {
    const summary = describeRun(run, fake);
    expect({ unexpected: fake.unexpected().length, side: fake.sideRequests().length, summary }).toEqual({ unexpected: 0, side: 0, summary });
    expect(fake.requests.map((r) => `${r.method} ${r.path}?${r.query} ${r.kind}`)).toEqual(Array(count).fill('POST /v1/messages?beta=true main'));
    expect(fake.pending).toBe(0);
  }

  it('a. streams a scripted text reply as stream-json with partial messages', async () => {
    const reply = 'Hello from the fake — streamed in pieces.';
    await startFake([{ text: reply }]);
    const work = workDir('text');

    const run = await claude(['-p', ...STREAM_JSON, '--include-partial-messages', 'say hello'], work);

    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expectOnlyMainCalls(run, 1);
    const lines = jsonl(run.stdout);

    const init = lines[0];
    expect(init).toMatchObject({ type: 'system', subtype: 'init', cwd: work, model: FAKE_MODEL, apiKeySource: 'ANTHROPIC_API_KEY' });
    expect(init.session_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const sessionId: string = init.session_id;

    const events = lines.filter((l) => l.type === 'stream_event').map((l) => l.event);
    expect([...new Set(events.map((e) => e.type))]).toEqual(['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
    const deltas = events.filter((e) => e.type === 'content_block_delta' && e.delta.type === 'text_delta').map((e) => e.delta.text as string);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(reply);
    expect(events.find((e) => e.type === 'message_delta').delta.stop_reason).toBe('end_turn');

    const assistant = lines.filter((l) => l.type === 'assistant');
    expect(assistant).toHaveLength(1);
    expect(assistant[0].message.content).toEqual([{ type: 'text', text: reply }]);

    const result = lines[lines.length - 1];
    expect(result).toMatchObject({ type: 'result', subtype: 'success', is_error: false, result: reply, session_id: sessionId, num_turns: 1 });
    expect(lines.every((l) => l.session_id === sessionId)).toBe(true);

    // What the CLI sent: a strict, streaming Messages call carrying the prompt.
    const [request] = fake.mainRequests();
    expect(request.headers).toMatchObject({ 'x-api-key': FAKE_API_KEY, 'anthropic-version': '2023-06-01', 'x-claude-code-session-id': sessionId });
    expect(request.body).toMatchObject({ model: FAKE_MODEL, stream: true });
    expect(conversationTexts(request, 'user')).toContain('say hello');

    first = { sessionId, work, reply };
    saveOrCompareFixture('text.jsonl', run.stdout, root);
  });

  it('b. runs a scripted Bash tool call and sends its tool_result back', async () => {
    const command = 'echo hi > out.txt';
    await startFake([{ toolUse: { name: 'Bash', input: { command, description: 'Write hi to out.txt' } } }, { text: 'Wrote out.txt.' }]);
    const work = workDir('tool');

    // --allowedTools takes a variadic list: without `--` it would swallow the prompt
    // (the CLI then exits 1: "… was read as a value of --allowedTools, not as a prompt").
    const run = await claude(['-p', ...STREAM_JSON, '--include-partial-messages', '--allowedTools', 'Bash', '--', 'write hi to out.txt'], work);

    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expectOnlyMainCalls(run, 2);
    expect(readFileSync(join(work, 'out.txt'), 'utf8')).toBe('hi\n');

    const lines = jsonl(run.stdout);
    const toolUse = lines
      .filter((l) => l.type === 'assistant')
      .flatMap((l) => l.message.content)
      .find((b: Line) => b.type === 'tool_use');
    expect(toolUse).toEqual({ type: 'tool_use', id: 'toolu_fake_0001_0', name: 'Bash', input: { command, description: 'Write hi to out.txt' } });
    const partialJson = lines
      .filter((l) => l.type === 'stream_event' && l.event.delta?.type === 'input_json_delta')
      .map((l) => l.event.delta.partial_json as string)
      .join('');
    expect(JSON.parse(partialJson)).toEqual(toolUse.input);
    const toolResult = lines
      .filter((l) => l.type === 'user')
      .flatMap((l) => l.message.content)
      .find((b: Line) => b.type === 'tool_result');
    expect(toolResult).toMatchObject({ tool_use_id: toolUse.id, is_error: false });
    expect(lines.find((l) => l.type === 'stream_event' && l.event.type === 'message_delta')?.event.delta.stop_reason).toBe('tool_use');
    expect(lines[lines.length - 1]).toMatchObject({ type: 'result', subtype: 'success', is_error: false, result: 'Wrote out.txt.', num_turns: 2 });

    // The fake saw the tool's result in the second request.
    expect(fake.toolResults()).toEqual([expect.objectContaining({ type: 'tool_result', tool_use_id: 'toolu_fake_0001_0', is_error: false })]);
    expect(JSON.stringify(fake.toolResults()[0].content)).toContain('Bash completed with no output');

    saveOrCompareFixture('tool-use.jsonl', run.stdout, root);
  });

  it('c. resumes the text session with the earlier conversation and the same session id', async () => {
    if (!first) throw new Error('needs the text run (test a) of this file to have passed first');
    await startFake([{ text: 'Second answer, same session.' }]);

    const run = await claude(['-p', ...STREAM_JSON, '--include-partial-messages', '--resume', first.sessionId, 'and now?'], first.work);

    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expectOnlyMainCalls(run, 1);
    const [request] = fake.mainRequests();
    const userTexts = conversationTexts(request, 'user');
    expect(userTexts).toContain('say hello');
    expect(userTexts[userTexts.length - 1]).toBe('and now?');
    expect(conversationTexts(request, 'assistant')).toEqual([first.reply]);
    expect(request.headers['x-claude-code-session-id']).toBe(first.sessionId);

    // claude 2.1.329 keeps the session id on --resume (no new id unless --fork-session).
    const lines = jsonl(run.stdout);
    expect(lines[0]).toMatchObject({ type: 'system', subtype: 'init', session_id: first.sessionId });
    expect(lines[lines.length - 1]).toMatchObject({ type: 'result', subtype: 'success', result: 'Second answer, same session.', session_id: first.sessionId });

    saveOrCompareFixture('resume.jsonl', run.stdout, root);
  });

  describe('d. errors', () => {
    it('a wrong API key fails the run with "Invalid API key" (stream-json)', async () => {
      await startFake([{ text: 'never served' }]);
      const work = workDir('wrong-key');

      // No retries: the CLI retries 401 too, 10 times over ~3 minutes by default.
      const run = await claude(['-p', ...STREAM_JSON, 'say hello'], work, { apiKey: 'sk-ant-api03-wrong-key', maxRetries: 0 });

      expect(run.code).toBe(1);
      const lines = jsonl(run.stdout);
      const assistant = lines.find((l) => l.type === 'assistant');
      expect(assistant).toMatchObject({ error: 'authentication_failed', is_api_error_message: true, api_error_status: 401, api_error_type: 'authentication_error' });
      expect(assistant?.message.content).toEqual([{ type: 'text', text: 'Invalid API key · Fix external API key' }]);
      expect(lines[lines.length - 1]).toMatchObject({
        type: 'result',
        subtype: 'success', // sic: the run "succeeded" in ending; is_error says it failed
        is_error: true,
        api_error_status: 401,
        result: 'Invalid API key · Fix external API key',
      });
      expect(fake.requests).toHaveLength(1);
      expect(fake.unexpected()).toEqual([expect.objectContaining({ status: 401, error: 'invalid x-api-key', kind: 'rejected' })]);
      expect(fake.pending).toBe(1);
    });

    it('a wrong API key fails the run with "Invalid API key" (plain -p, as Patchbay runs it)', async () => {
      await startFake([]);
      const run = await claude(['-p', 'say hello'], workDir('wrong-key-text'), { apiKey: 'sk-ant-api03-wrong-key', maxRetries: 0 });

      expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({ code: 1, stdout: 'Invalid API key · Fix external API key\n', stderr: '' });
      expect(fake.unexpected().map((r) => r.status)).toEqual([401]);
    });

    it('recovers from a scripted 429 after its retry-after', async () => {
      await startFake([{ rateLimited: { retryAfterSeconds: 1 } }, { text: 'Recovered after a 429.' }]);

      const run = await claude(['-p', ...STREAM_JSON, 'say hello'], workDir('rate-limited'));

      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      expectOnlyMainCalls(run, 2);
      expect(fake.mainRequests().map((r) => r.status)).toEqual([429, 200]);
      const [limited, retried] = fake.mainRequests();
      expect(retried.receivedAt - limited.receivedAt).toBeGreaterThanOrEqual(900);
      const lines = jsonl(run.stdout);
      expect(lines.find((l) => l.type === 'system' && l.subtype === 'api_retry')).toMatchObject({ attempt: 1, error_status: 429, error: 'rate_limit' });
      expect(lines[lines.length - 1]).toMatchObject({ type: 'result', subtype: 'success', is_error: false, result: 'Recovered after a 429.' });
    });
  });
});
