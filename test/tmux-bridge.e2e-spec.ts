import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { freePort, PatchbayProcesses, removeScratch, removeTmuxServer, scratchDir, writeConfig } from './support/patchbay-processes';
import { describeWith } from './support/services';
import { readSse, SseEvent } from './support/sse';

jest.setTimeout(120_000);

/** Thrown from an SSE callback to stop reading once the test has seen enough. */
class StopReading extends Error {}

describeWith(['tmux'], 'tmux bridge: a tmux session Patchbay did not start, reachable from a chat', () => {
  const dir = scratchDir('bridge');
  const socket = `pbtest-${randomBytes(4).toString('hex')}`;
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  let baseUrl: string;
  let processes: PatchbayProcesses;

  beforeAll(async () => {
    // Someone's own shell, started outside Patchbay, on the runner's tmux server.
    tmux('new-session', '-d', '-s', 'work', '-x', '200', '-y', '50', 'env PS1="work$ " bash --norc --noprofile -i');
    tmux('send-keys', '-t', '=work:', 'echo before-patchbay', 'Enter');
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    processes = new PatchbayProcesses(
      [[]],
      {
        ...process.env,
        PATCHBAY_CONFIG: writeConfig(dir, 'defaultAgent: demo\n'),
        PATCHBAY_HOME: join(dir, 'home'),
        PATCHBAY_HTTP_PORT: String(port),
        PATCHBAY_TMUX_SOCKET: socket,
        PATCHBAY_BUS_PREFIX: `pbtest${randomBytes(4).toString('hex')}`,
        PATCHBAY_RUNNER_ID: 'runner-e2e-bridge',
        NATS_URL: '',
        DATABASE_URL: '',
      },
      dir,
    );
    processes.start();
    await processes.waitReady(baseUrl);
  });

  afterAll(async () => {
    await processes?.stop();
    removeTmuxServer(socket);
    removeScratch(dir);
  });

  /** A chat message from the local owner; commands answer in `reply`. */
  const say = async (text: string) => {
    const response = await fetch(`${baseUrl}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text, chat: 'phone' }),
    });
    expect(response.status).toBeLessThan(300);
    return (await response.json()) as { reply?: string; sessionId: string | null; outcome: string };
  };

  /** Reads the session's stream until `seen` matches what arrived so far. */
  async function streamUntil(sessionId: string, seen: (text: string) => boolean, after = 0): Promise<SseEvent[]> {
    const events: SseEvent[] = [];
    await readSse(`${baseUrl}/api/sessions/${sessionId}/events?after=${after}`, {
      onEvent: (e) => {
        events.push(e);
        if (seen(events.map((x) => (x.data as { text?: string }).text ?? '').join(''))) throw new StopReading();
      },
    }).catch((error) => {
      if (!(error instanceof StopReading)) throw error;
    });
    return events;
  }

  let sessionId: string;

  it('lists the tmux sessions of the runner, marking none as Patchbay’s', async () => {
    expect((await say('/tmux')).reply).toBe('runner-e2e-bridge: work');
  });

  it('watches the session: its screen first, then what it prints', async () => {
    const watched = await say('/watch work');
    expect(watched.reply).toMatch(/^Watching tmux session work here \(session ([a-z0-9]+)\)\./);
    sessionId = /\(session ([a-z0-9]+)\)/.exec(watched.reply!)![1];
    const first = await streamUntil(sessionId, (text) => text.includes('before-patchbay'));
    expect(first[0].data).toMatchObject({ type: 'status', state: 'started', text: expect.stringContaining('watching tmux session work') });

    tmux('send-keys', '-t', '=work:', 'echo typed-by-its-owner', 'Enter');
    await streamUntil(sessionId, (text) => text.includes('typed-by-its-owner'), first.at(-1)!.id);
  });

  it('types into it from the chat, plain or with /send, and presses keys', async () => {
    expect(await say('echo from-chat-$((40+2))')).toMatchObject({ outcome: 'input', sessionId });
    await streamUntil(sessionId, (text) => text.includes('from-chat-42'));
    expect((await say('/send echo sent-$((2+3))')).reply).toBe('');
    await streamUntil(sessionId, (text) => text.includes('sent-5'));
    await say('/send sleep 30');
    expect((await say('/keys C-c')).reply).toBe('');
    await say('/send echo after-ctrl-c');
    await streamUntil(sessionId, (text) => text.includes('after-ctrl-c'));
    expect((await say('/keys rm -rf')).reply).toMatch(/^Not delivered: .*expected tmux key names/);
  });

  it('shows the bridged pane over HTTP and types into it (the local user is an owner)', async () => {
    const plainLines = async () => {
      const response = await fetch(`${baseUrl}/api/sessions/${sessionId}/screen`);
      expect(response.status).toBe(200);
      return ((await response.json()) as { lines: string[] }).lines.map((line) => line.replace(/\u001b\[[0-9;]*m/g, ''));
    };
    expect(await plainLines()).toContain('after-ctrl-c');
    const typed = await fetch(`${baseUrl}/api/sessions/${sessionId}/input`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'echo from-http-$((3*3))' }),
    });
    expect(await typed.json()).toMatchObject({ delivered: true });
    for (const deadline = Date.now() + 10_000; !(await plainLines()).includes('from-http-9'); await new Promise((r) => setTimeout(r, 100))) {
      if (Date.now() > deadline) throw new Error(`the pane never showed from-http-9:\n${(await plainLines()).join('\n')}`);
    }
  });

  it('lets go with /unwatch: the run ends, the tmux session lives on', async () => {
    expect((await say('/unwatch')).reply).toMatch(new RegExp(`^Run [a-z0-9]+: stopped watching work\\.\\n\\nStopped watching session ${sessionId}\\.$`));
    const all = await readSse(`${baseUrl}/api/sessions/${sessionId}/events`);
    expect(all.at(-1)?.data).toMatchObject({ type: 'final', text: expect.stringContaining('stopped watching tmux session work') });
    expect(tmux('list-sessions', '-F', '#{session_name}')).toContain('work');
    const killed = await fetch(`${baseUrl}/api/sessions/${sessionId}/kill`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    expect(killed.status).toBe(409);
  });
});
