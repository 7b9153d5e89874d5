import { mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { OutputEventV1 } from '@patchbay/contracts';
import { joinedText, lastEvent, PatchbayInstance, waitUntil } from './support/patchbay-instance';
import { describeWith } from './support/services';

jest.setTimeout(120_000);

/** Any control character but the newline: escape sequences (ESC, CSI), BEL, CR, backspace… */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

/** Every screen line the text events carried, in order (a redrawn line comes again). */
function screenLines(events: OutputEventV1[]): string[] {
  return joinedText(events).split('\n');
}

/** A text event showing `line` as a whole line of the screen. */
const showsLine = (line: string) => (event: OutputEventV1) => event.type === 'text' && event.text.split('\n').includes(line);

/**
 * The screen line of `command` typed at the prompt. The first message of a run may be typed
 * before bash's line editor is up: the terminal echoes it, then bash's prompt shows it again
 * on the same line (`<command>pb$ <command>`); it still runs once.
 */
function promptLine(command: string) {
  const escaped = command.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return expect.stringMatching(new RegExp(`^(${escaped})?pb\\$ ${escaped}$`));
}

/** Screen changes are plain text: the terminal's escape codes were interpreted, not passed on. */
function expectPlainText(events: OutputEventV1[]): void {
  const texts = events.flatMap((e) => (e.type === 'text' ? [e.text] : []));
  expect(texts.length).toBeGreaterThan(0);
  expect(texts.filter((text) => CONTROL.test(text))).toEqual([]);
}

describeWith(['tmux'], 'terminal agent (an interactive bash in tmux)', () => {
  const pb = PatchbayInstance.prepare('terminal-agent');
  /** The input went in (at the first try, or at the second when the pane was slow to show it). */
  const typed = { delivered: true, detail: expect.stringMatching(/^typed into the session( \(second try\))?$/) };

  beforeAll(async () => {
    const work = join(pb.dir, 'work');
    mkdirSync(work);
    await pb.start({
      defaultAgent: 'shell',
      agents: {
        shell: {
          command: 'bash',
          args: ['--norc', '--noprofile', '-i'],
          mode: 'terminal',
          cwd: work,
          // HISTFILE: an interactive bash saves its history on exit; not into the real home.
          env: { PS1: 'pb$ ', HISTFILE: join(pb.dir, 'bash_history') },
        },
      },
    });
  });

  afterAll(async () => {
    await pb.stop();
  });

  /** The chat `term`: its session, task and run, and the last seq the tests have read. */
  let term: { sessionId: string; taskId: string; runId: string; seen: number };

  /** Types a message into the live session of `chat`: no task, the input was delivered. */
  async function typeInto(chat: string, sessionId: string, text: string): Promise<void> {
    expect(await pb.send(text, chat)).toEqual({ taskId: null, sessionId, duplicate: false, outcome: 'input', input: typed });
  }

  /** Reads the `term` session's new events until the screen shows `line`. */
  async function termUntil(line: string): Promise<OutputEventV1[]> {
    const events = await pb.followUntil(term.sessionId, term.seen, `the line "${line}"`, showsLine(line));
    term.seen = events.at(-1)!.seq;
    expectPlainText(events);
    for (const event of events) expect(event).toMatchObject({ sessionId: term.sessionId, taskId: term.taskId, runId: term.runId });
    return events;
  }

  it('a. starts the program in tmux, types the message in, and streams the screen as plain text', async () => {
    const accepted = await pb.send('echo hello-$((6*7))', 'term');
    expect(accepted).toEqual({ taskId: expect.any(String), sessionId: expect.any(String), duplicate: false, outcome: 'task' });
    const { sessionId, taskId } = accepted as { sessionId: string; taskId: string };

    const events = await pb.followUntil(sessionId, 0, 'the line "hello-42"', showsLine('hello-42'));
    expect(events[0]).toMatchObject({
      type: 'status',
      seq: 1,
      taskId,
      state: 'started',
      text: `started agent shell in tmux session pb-${sessionId} on runner ${pb.runnerId}`,
    });
    term = { sessionId, taskId, runId: events[0].runId, seen: events.at(-1)!.seq };
    expect(events.slice(1).map((e) => e.type)).toEqual(events.slice(1).map(() => 'text'));
    expectPlainText(events);
    // The prompt typed after the shell started, then its output.
    const lines = screenLines(events);
    const typedAt = lines.findIndex((line) => promptLine('echo hello-$((6*7))').asymmetricMatch(line));
    expect(typedAt).toBeGreaterThanOrEqual(0);
    expect(lines.slice(typedAt + 1)).toContain('hello-42');

    expect(pb.tmuxSessions()).toContain(`pb-${sessionId}`);
    expect(await pb.get(`/api/tasks/${taskId}`)).toMatchObject({ status: 'running', agent: 'shell' });
    expect(await pb.get(`/api/sessions/${sessionId}`)).toMatchObject({ status: 'running', tmuxSession: `pb-${sessionId}` });
  });

  it('b. types a second message to the same chat into the running program instead of queueing a task', async () => {
    await typeInto('term', term.sessionId, 'echo second-$((2+3))');
    const events = await termUntil('second-5');
    expect(screenLines(events)).toContain('pb$ echo second-$((2+3))');
    // Still the one task of the chat, still running.
    const tasks = (await pb.get('/api/tasks')).tasks.filter((t: { sessionId: string }) => t.sessionId === term.sessionId);
    expect(tasks).toEqual([expect.objectContaining({ id: term.taskId, status: 'running', prompt: 'echo hello-$((6*7))' })]);
  });

  it('c. stop sends Ctrl-C and the program lives on; kill closes the tmux session and cancels the task', async () => {
    await typeInto('term', term.sessionId, 'echo sleep-$((1+1)); sleep 30');
    await termUntil('sleep-2');

    const stopped = await pb.control(term.sessionId, 'stop');
    expect(stopped).toEqual({ status: 202, body: { runId: term.runId, detail: 'sent Ctrl-C' } });
    // `$?` of the interrupted sleep: 130 = killed by SIGINT, so Ctrl-C ended it (not its 30 s).
    await typeInto('term', term.sessionId, 'echo after-stop-$?');
    await termUntil('after-stop-130');
    expect(await pb.get(`/api/tasks/${term.taskId}`)).toMatchObject({ status: 'running' });

    const killed = await pb.control(term.sessionId, 'kill');
    expect(killed).toEqual({ status: 202, body: { runId: term.runId, detail: 'tmux session closed' } });
    const events = await pb.followUntil(term.sessionId, term.seen, 'the end of the run', (e) => e.type === 'final' || e.type === 'error');
    expect(events.filter((e) => e.type !== 'text')).toHaveLength(1);
    expect(lastEvent(events, 'error')).toMatchObject({ code: 'killed', text: `killed by local:${userInfo().username}`, exitCode: 129, runId: term.runId });
    // Seen the run's end, the task is settled (the event may have come from the stored
    // transcript): stopped on purpose, so cancelled rather than failed.
    expect(await pb.get(`/api/tasks/${term.taskId}`)).toMatchObject({ status: 'cancelled', error: `killed by local:${userInfo().username}` });
    expect(pb.tmuxSessions()).not.toContain(`pb-${term.sessionId}`);
  });

  it('d. `exit` typed into the shell ends the run with a final (exit 0) and the task done', async () => {
    const accepted = await pb.send('echo ready-$((1+1))', 'term-exit');
    const { sessionId, taskId } = accepted as { sessionId: string; taskId: string };
    expect(sessionId).not.toBe(term.sessionId);
    const started = await pb.followUntil(sessionId, 0, 'the line "ready-2"', showsLine('ready-2'));

    await typeInto('term-exit', sessionId, 'exit');
    const events = await pb.followUntil(sessionId, started.at(-1)!.seq, 'the end of the run', (e) => e.type === 'final' || e.type === 'error');
    expectPlainText([...started, ...events]);
    const final = lastEvent(events, 'final');
    expect(final).toMatchObject({ exitCode: 0, taskId, runId: started[0].runId });
    // The screen's last lines.
    expect(final.text.split('\n').slice(-4)).toEqual([promptLine('echo ready-$((1+1))'), 'ready-2', 'pb$ exit', 'exit']);
    expect(await pb.get(`/api/tasks/${taskId}`)).toMatchObject({ status: 'done', error: null });
    // The session closes with its program, right after the run script recorded the exit.
    await waitUntil(() => !pb.tmuxSessions().includes(`pb-${sessionId}`), `tmux session pb-${sessionId} to close`);
  });
});
