import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OutputEventV1 } from '@patchbay/contracts';
import { ClaudeTestEnvOptions, claudeTestEnv } from './fakes/anthropic/claude-env';
import { conversationTexts, FAKE_API_KEY, FAKE_MODEL, FakeAnthropicApi } from './fakes/anthropic/fake-anthropic-api';
import { eventKinds, joinedText, lastEvent, PatchbayInstance } from './support/patchbay-instance';
import { describeWith } from './support/services';
import { CLAUDE_BIN, envWithoutClaude } from './support/claude-agent';

jest.setTimeout(120_000);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The fake streams text in pieces of this many characters (its default). */
const FAKE_CHUNK = 6;

/**
 * A Patchbay whose built-in `claude` profile runs the real CLI (structured mode) against
 * the fake, with Bash allowed, in a work folder of its own.
 */
async function startClaudePatchbay(name: string, fake: FakeAnthropicApi, env: ClaudeTestEnvOptions = {}) {
  const pb = PatchbayInstance.prepare(name);
  const work = join(pb.dir, 'work');
  const claudeHome = join(pb.dir, 'claude-home');
  mkdirSync(work);
  mkdirSync(claudeHome);
  await pb.start(
    {
      defaultAgent: 'claude',
      agents: {
        claude: { command: CLAUDE_BIN, allowedTools: ['Bash'], cwd: work, env: claudeTestEnv(fake.baseUrl, claudeHome, env) },
      },
    },
    envWithoutClaude(),
  );
  return { pb, work };
}

/** What claude itself printed last in a run: its `result` line (stdout.log keeps it raw). */
function claudeResult(pb: PatchbayInstance, runId: string): Record<string, any> {
  const lines = readFileSync(join(pb.runDir(runId), 'stdout.log'), 'utf8')
    .trim()
    .split('\n');
  const result = JSON.parse(lines[lines.length - 1]);
  expect(result.type).toBe('result');
  return result;
}

/** The fake saw only main-conversation calls, `count` of them, each answered from the script. */
function expectOnlyMainRequests(fake: FakeAnthropicApi, count: number): void {
  expect(fake.unexpected()).toEqual([]);
  expect(fake.requests.map((r) => `${r.method} ${r.path}?${r.query} ${r.kind} ${r.status}`)).toEqual(Array(count).fill('POST /v1/messages?beta=true main 200'));
  expect(fake.pending).toBe(0);
}

/** The run's two opening status events: the runner's (tmux session) and claude's init line. */
function expectOpening(pb: PatchbayInstance, events: OutputEventV1[], ids: { sessionId: string; taskId: string }): string {
  for (const event of events) expect(event).toMatchObject({ ...ids, runId: events[0].runId });
  expect(events[0]).toMatchObject({
    type: 'status',
    state: 'started',
    text: `started agent claude in tmux session pb-${ids.sessionId} on runner ${pb.runnerId}`,
  });
  const init = events[1];
  expect(init).toMatchObject({ type: 'status', text: `claude started, model ${FAKE_MODEL}` });
  expect(init).not.toHaveProperty('state');
  const agentSessionId = init.type === 'status' ? init.agentSessionId : undefined;
  expect(agentSessionId).toMatch(UUID);
  return agentSessionId!;
}

describeWith(['tmux'], 'claude agent (real CLI, structured mode) run by the runner against a fake Anthropic API', () => {
  describe('with the right API key', () => {
    const fake = new FakeAnthropicApi();
    let pb: PatchbayInstance;
    let work: string;
    /** The text run (a), continued by the follow-up (c). */
    let first: { sessionId: string; agentSessionId: string; prompt: string; reply: string } | undefined;

    beforeAll(async () => {
      await fake.start();
      ({ pb, work } = await startClaudePatchbay('claude-agent', fake));
    });

    afterAll(async () => {
      await pb?.stop();
      await fake.stop();
    });

    beforeEach(() => fake.clearRequests());

    it('a. streams a text reply: runner status, claude init, merged text deltas, final with usage; the task is done', async () => {
      const prompt = 'say hello';
      const reply = 'Hello from the fake Anthropic API, streamed to Patchbay in many small pieces.';
      fake.enqueue({ text: reply });

      const accepted = await pb.send(prompt, 'claude-text');
      expect(accepted).toEqual({ taskId: expect.any(String), sessionId: expect.any(String), duplicate: false, outcome: 'task' });
      const { sessionId, taskId } = accepted as { sessionId: string; taskId: string };
      const events = await pb.taskEvents(sessionId, taskId);

      expect(events[0].seq).toBe(1);
      expect(eventKinds(events)).toEqual(['status', 'status', 'text', 'final']);
      const agentSessionId = expectOpening(pb, events, { sessionId, taskId });
      const texts = events.filter((e) => e.type === 'text');
      expect(joinedText(events)).toBe(reply);
      // The fake sent the reply in many deltas; the runner merged them into fewer events.
      expect(texts.length).toBeLessThan(Math.ceil(reply.length / FAKE_CHUNK));

      const final = lastEvent(events, 'final');
      const result = claudeResult(pb, final.runId);
      expect(final).toEqual({
        type: 'final',
        sessionId,
        taskId,
        runId: events[0].runId,
        seq: events.length,
        at: expect.any(String),
        text: reply,
        exitCode: null, // the result line comes before claude exits
        durationMs: result.duration_ms,
        costUsd: result.total_cost_usd,
        tokens: { input: result.usage.input_tokens, output: result.usage.output_tokens },
        agentSessionId,
      });
      // The usage is the fake's: output tokens are its estimate of the one text block.
      expect(final.tokens).toEqual({ input: expect.any(Number), output: Math.ceil(JSON.stringify([{ type: 'text', text: reply }]).length / 4) });
      expect(final.tokens!.input).toBeGreaterThan(0);
      expect(final.costUsd).toBeGreaterThan(0);

      expect(await pb.get(`/api/tasks/${taskId}`)).toMatchObject({ id: taskId, sessionId, status: 'done', agent: 'claude', prompt, error: null });
      expect(await pb.get(`/api/sessions/${sessionId}`)).toMatchObject({ agent: 'claude', tmuxSession: `pb-${sessionId}`, lastSeq: events.length });

      expectOnlyMainRequests(fake, 1);
      const [request] = fake.mainRequests();
      expect(request.headers).toMatchObject({ 'x-api-key': FAKE_API_KEY, 'x-claude-code-session-id': agentSessionId });
      expect(conversationTexts(request, 'user')).toContain(prompt);
      first = { sessionId, agentSessionId, prompt, reply };
    });

    it('b. runs a Bash tool turn: tool_call, tool_result, text, final; the file is written in the work folder', async () => {
      const command = "printf 'made by claude\\n' > made.txt && cat made.txt";
      fake.enqueue(
        { text: 'I will write made.txt.', toolUse: { id: 'toolu_e2e_write', name: 'Bash', input: { command, description: 'Write made.txt' } } },
        { text: 'Wrote made.txt.' },
      );

      const { sessionId, taskId } = (await pb.send('write made.txt', 'claude-tool')) as { sessionId: string; taskId: string };
      const events = await pb.taskEvents(sessionId, taskId);

      expect(eventKinds(events)).toEqual(['status', 'status', 'text', 'tool_call', 'tool_result', 'text', 'final']);
      expectOpening(pb, events, { sessionId, taskId });
      expect(events.find((e) => e.type === 'tool_call')).toMatchObject({ tool: 'Bash', input: command });
      expect(events.find((e) => e.type === 'tool_result')).toMatchObject({ tool: 'Bash', text: 'made by claude' });
      // Two messages' text, a blank line apart.
      expect(joinedText(events)).toBe('I will write made.txt.\n\nWrote made.txt.');
      expect(lastEvent(events, 'final')).toMatchObject({ text: 'Wrote made.txt.' });
      expect(readFileSync(join(work, 'made.txt'), 'utf8')).toBe('made by claude\n');
      expect(await pb.get(`/api/tasks/${taskId}`)).toMatchObject({ status: 'done', error: null });

      expectOnlyMainRequests(fake, 2);
      const [toolResult, ...more] = fake.toolResults();
      expect(more).toEqual([]);
      // (claude also marks the block for prompt caching: cache_control)
      expect(toolResult).toMatchObject({ type: 'tool_result', tool_use_id: 'toolu_e2e_write', content: 'made by claude', is_error: false });
    });

    it('c. continues the chat with `claude --resume <first session>`: the API sees the first exchange', async () => {
      if (!first) throw new Error('needs the text run (a) of this suite to have passed');
      const prompt = 'and now?';
      const reply = 'Second answer, same conversation.';
      fake.enqueue({ text: reply });

      const accepted = await pb.send(prompt, 'claude-text');
      expect(accepted).toEqual({ taskId: expect.any(String), sessionId: first.sessionId, duplicate: false, outcome: 'task' });
      const taskId = accepted.taskId!;
      const events = await pb.taskEvents(first.sessionId, taskId);

      expect(eventKinds(events)).toEqual(['status', 'status', 'text', 'final']);
      expect(expectOpening(pb, events, { sessionId: first.sessionId, taskId })).toBe(first.agentSessionId);
      expect(joinedText(events)).toBe(reply);
      expect(lastEvent(events, 'final')).toMatchObject({ text: reply, agentSessionId: first.agentSessionId });
      const script = readFileSync(join(pb.runDir(events[0].runId), 'run.sh'), 'utf8');
      expect(script).toContain(`'--resume' '${first.agentSessionId}'`);

      expectOnlyMainRequests(fake, 1);
      const [request] = fake.mainRequests();
      const userTexts = conversationTexts(request, 'user');
      expect(userTexts).toContain(first.prompt);
      expect(userTexts.at(-1)).toBe(prompt);
      expect(conversationTexts(request, 'assistant')).toEqual([first.reply]);
      expect(request.headers['x-claude-code-session-id']).toBe(first.agentSessionId);
      expect(await pb.get(`/api/tasks/${taskId}`)).toMatchObject({ status: 'done', error: null });
    });
  });

  describe('with a wrong API key in the profile', () => {
    const fake = new FakeAnthropicApi({ script: [{ text: 'never served' }] });
    let pb: PatchbayInstance;

    beforeAll(async () => {
      await fake.start();
      // No retries: claude retries a 401 too, for minutes by default.
      ({ pb } = await startClaudePatchbay('claude-bad-key', fake, { apiKey: 'sk-ant-api03-wrong-key', maxRetries: 0 }));
    });

    afterAll(async () => {
      await pb?.stop();
      await fake.stop();
    });

    it('d. ends the run with an error event about the API key; the task failed', async () => {
      const { sessionId, taskId } = (await pb.send('say hello', 'claude-bad-key')) as { sessionId: string; taskId: string };
      const events = await pb.taskEvents(sessionId, taskId);

      expect(eventKinds(events)).toEqual(['status', 'status', 'text', 'error']);
      expectOpening(pb, events, { sessionId, taskId });
      // claude shows the API's refusal as its answer, then ends with an error result.
      expect(joinedText(events)).toBe('Invalid API key · Fix external API key');
      const error = lastEvent(events, 'error');
      expect(error).toMatchObject({ code: 'agent_error', text: 'API error 401: Invalid API key · Fix external API key', exitCode: null });
      expect(await pb.get(`/api/tasks/${taskId}`)).toMatchObject({ status: 'failed', error: error.text });

      expect(fake.requests).toHaveLength(1);
      expect(fake.unexpected()).toEqual([expect.objectContaining({ status: 401, kind: 'rejected', error: 'invalid x-api-key' })]);
      expect(fake.pending).toBe(1);
    });
  });
});
