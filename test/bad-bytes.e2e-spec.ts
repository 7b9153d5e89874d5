import { PatchbayInstance } from './support/patchbay-instance';
import { describeWith } from './support/services';

jest.setTimeout(120_000);

/** An agent that prints a NUL byte, then its prompt. */
const nulAgent = {
  command: 'bash',
  args: ['-c', 'printf "a\\0b\\n"; echo "asked: $1"', 'nul', '{prompt}'],
};

/**
 * One NUL byte must not break a run or a request: PostgreSQL refuses U+0000 in text and
 * jsonb, so the contracts drop it (sanitizeText) before anything stores it.
 */
describeWith(['tmux'], 'Bad bytes: NUL in agent output and in inbound text (all-in-one)', () => {
  let patchbay: PatchbayInstance;

  beforeAll(async () => {
    patchbay = PatchbayInstance.prepare('bad-bytes');
    await patchbay.start({ defaultAgent: 'nul', agents: { nul: nulAgent } });
  });

  afterAll(async () => {
    await patchbay?.stop();
  });

  it('finishes a run whose agent prints a NUL, ends its SSE stream, and runs the next task', async () => {
    const first = await patchbay.send('first', 'nul-chat');
    const events = await patchbay.taskEvents(first.sessionId!, first.taskId!);
    expect(events.at(-1)).toMatchObject({ type: 'final', exitCode: 0 });
    const text = events
      .filter((e) => e.type === 'text')
      .map((e) => (e as { text: string }).text)
      .join('');
    expect(text).toContain('ab');
    expect(text).not.toContain('\u0000');

    const second = await patchbay.send('second', 'nul-chat');
    expect(second.sessionId).toBe(first.sessionId);
    expect((await patchbay.taskEvents(second.sessionId!, second.taskId!)).at(-1)).toMatchObject({ type: 'final', exitCode: 0 });
  });

  it('accepts inbound text with a NUL, stored and run without it', async () => {
    const { status, body } = await patchbay.request('POST', '/api/messages', { text: 'deploy\u0000 now' });
    expect(status).toBe(201);
    expect(JSON.stringify(body)).not.toMatch(/insert|select|\$1/i);
    const task = await patchbay.get(`/api/tasks/${body.taskId}`);
    expect(task.prompt).toBe('deploy now');
    const events = await patchbay.taskEvents(body.sessionId, body.taskId);
    expect(events.at(-1)).toMatchObject({ type: 'final', exitCode: 0 });
    expect(
      events
        .filter((e) => e.type === 'text')
        .map((e) => (e as { text: string }).text)
        .join(''),
    ).toContain('asked: deploy now');
  });
});
