import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { InputResultV1, ScreenV1 } from '@patchbay/contracts';
import { PatchbayInstance, waitUntil } from './support/patchbay-instance';
import { describeWith } from './support/services';
import { SseMessage, sseMessages } from './support/sse';

jest.setTimeout(120_000);

/** A pane row without its colour escapes. */
const plain = (line: string) => line.replace(/\u001b\[[0-9;]*m/g, '');
const shows = (screen: ScreenV1, line: string) => screen.lines.map(plain).includes(line);

/** Issue #12: the dashboard's terminal view, over the public HTTP API, of a terminal-mode agent (an interactive bash). */
describeWith(['tmux'], 'terminal view: screen, screen stream, input and keys over HTTP', () => {
  const OWNER = { name: 'ci-owner', token: 'owner-token-0123456789', role: 'owner' };
  const VIEWER = { name: 'watcher', token: 'viewer-token-0123456789', role: 'viewer' };
  const pb = PatchbayInstance.prepare('terminal-view');
  const typed: InputResultV1 = { delivered: true, detail: expect.stringMatching(/^typed into the session( \(second try\))?$/) };
  let sessionId: string;

  beforeAll(async () => {
    const work = join(pb.dir, 'work');
    mkdirSync(work);
    await pb.start(
      {
        defaultAgent: 'shell',
        // One open stream per client: the stream test shows a slot is freed when its client goes.
        http: { tokens: [OWNER, VIEWER], maxStreamsPerClient: 1 },
        agents: {
          shell: {
            command: 'bash',
            args: ['--norc', '--noprofile', '-i'],
            mode: 'terminal',
            cwd: work,
            env: { PS1: 'pb$ ', HISTFILE: join(pb.dir, 'bash_history') },
          },
        },
      },
      process.env,
      { token: OWNER.token },
    );
    sessionId = (await pb.send('echo started-$((40+2))', 'term')).sessionId!;
  });

  afterAll(() => pb.stop());

  const screen = () => pb.get<ScreenV1>(`/api/sessions/${sessionId}/screen`);
  /** The screen once it shows `line` (409 meanwhile counts as not yet: the run may still be starting). */
  async function screenUntil(line: string): Promise<ScreenV1> {
    let last: { status: number; body: ScreenV1 } | undefined;
    const showing = async () => {
      last = await pb.request<ScreenV1>('GET', `/api/sessions/${sessionId}/screen`);
      return last.status === 200 && shows(last.body, line);
    };
    await waitUntil(showing, `the screen to show "${line}"`, 20_000).catch((error: Error) => {
      throw new Error(`${error.message}; it answered ${last?.status}:\n${last?.status === 200 ? last.body.lines.join('\n') : JSON.stringify(last?.body)}`);
    });
    return last!.body;
  }
  const asViewer = (method: 'GET' | 'POST', path: string, body?: unknown) =>
    fetch(`${pb.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${VIEWER.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('shows the pane: its rows, size and cursor', async () => {
    const shown = await screenUntil('started-42');
    expect(shown).toMatchObject({ sessionId, cols: 200, rows: 50, cursor: { x: expect.any(Number), y: expect.any(Number) }, at: expect.any(String) });
    expect(shown.lines).toHaveLength(50);
  });

  it('types text into the pane with /input, attributed to the token and audited like chat input', async () => {
    const { status, body } = await pb.request<InputResultV1>('POST', `/api/sessions/${sessionId}/input`, { text: 'echo hi-from-http' });
    expect({ status, body }).toEqual({ status: 200, body: typed });
    const shown = await screenUntil('hi-from-http');
    expect(shown.lines.map(plain)).toContain('pb$ echo hi-from-http');
    const { entries } = await pb.get<{ entries: Array<{ actor: string; action: string; target: string | null; decision: string; detail: string | null }> }>('/api/audit');
    expect(entries).toContainEqual(expect.objectContaining({ actor: 'api:ci-owner', action: 'input', target: sessionId, decision: 'allow', detail: 'api: typed text' }));
  });

  it('shows secrets the program prints redacted', async () => {
    const tail = 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';
    // Typed in two halves, so only the program's output has the token's shape.
    await pb.request('POST', `/api/sessions/${sessionId}/input`, { text: `printf 'gh%s\\n' p_${tail}` });
    const shown = await screenUntil('[redacted:github-token]');
    expect(shown.lines.join('\n')).not.toContain(`ghp_${tail}`);
  });

  it('types without Enter when asked, then presses keys with /keys', async () => {
    expect((await pb.request('POST', `/api/sessions/${sessionId}/input`, { text: 'echo half-typed', enter: false })).status).toBe(200);
    await screenUntil('pb$ echo half-typed');
    expect((await screen()).lines.map(plain)).not.toContain('half-typed');
    expect((await pb.request('POST', `/api/sessions/${sessionId}/keys`, { keys: ['Enter'] })).body).toEqual({ delivered: true, detail: 'pressed Enter' });
    await screenUntil('half-typed');
  });

  it('refuses bad bodies naming the field', async () => {
    const noText = await pb.request<{ message: string }>('POST', `/api/sessions/${sessionId}/input`, { text: '' });
    expect(noText.status).toBe(400);
    expect(noText.body.message).toMatch(/^text: /);
    const badKey = await pb.request<{ message: string }>('POST', `/api/sessions/${sessionId}/keys`, { keys: ['rm -rf /'] });
    expect(badKey.status).toBe(400);
    expect(badKey.body.message).toBe('keys.0: expected tmux key names like C-c, Enter, Up');
    expect((await pb.request('POST', `/api/sessions/${sessionId}/keys`, { keys: ['Enter'], extra: 1 })).status).toBe(400);
  });

  it('lets a viewer look but not type', async () => {
    const looked = await asViewer('GET', `/api/sessions/${sessionId}/screen`);
    expect(looked.status).toBe(200);
    for (const [path, body] of [
      ['input', { text: 'echo nope' }],
      ['keys', { keys: ['C-c'] }],
    ] as const) {
      const refused = await asViewer('POST', `/api/sessions/${sessionId}/${path}`, body);
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { message: string }).message).toBe('this needs the operator role; API token "watcher" has viewer');
    }
  });

  const openStream = (signal?: AbortSignal) =>
    fetch(`${pb.url}/api/sessions/${sessionId}/screen/stream`, { headers: { ...pb.authHeaders(), accept: 'text/event-stream' }, signal });
  /** A screen stream, once the one slot this client has is free (a stream whose client went frees it when the gateway sees the close). */
  async function streamOnceFree(signal?: AbortSignal): Promise<globalThis.Response> {
    let response: globalThis.Response | undefined;
    await waitUntil(async () => {
      response = await openStream(signal);
      return response.status === 200;
    }, 'a free stream slot');
    return response!;
  }

  it('counts screen streams against the stream slots, and frees a slot when its client goes', async () => {
    const first = new AbortController();
    expect((await openStream(first.signal)).status).toBe(200);
    const refused = await openStream();
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { message: string }).message).toBe('too many open event streams from 127.0.0.1 (at most 1): close one first');
    first.abort();
    const second = new AbortController();
    await streamOnceFree(second.signal);
    second.abort();
  });

  it('streams the screen as it changes, and ends the stream when the run ends', async () => {
    const response = await streamOnceFree();
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const blocks: SseMessage[] = [];
    const reading = (async () => {
      for await (const message of sseMessages(response)) if (message.data !== undefined) blocks.push(message);
    })();
    const screens = () => blocks.filter((b) => b.event === 'screen').map((b) => b.data as ScreenV1);
    await waitUntil(async () => screens().length > 0, 'the first screen', 10_000);
    expect(screens()[0]).toMatchObject({ sessionId, rows: 50 });
    expect(shows(screens()[0], 'keyspressed')).toBe(false);

    const keys = ['e', 'c', 'h', 'o', 'Space', 'k', 'e', 'y', 's', 'p', 'r', 'e', 's', 's', 'e', 'd', 'Enter'];
    expect((await pb.request('POST', `/api/sessions/${sessionId}/keys`, { keys })).status).toBe(200);
    await waitUntil(async () => screens().some((s) => shows(s, 'keyspressed')), 'a screen showing what the keys typed', 20_000);
    // Only changes are sent: no screen repeats the one before it.
    const all = screens();
    for (let i = 1; i < all.length; i++) expect({ lines: all[i].lines, cursor: all[i].cursor }).not.toEqual({ lines: all[i - 1].lines, cursor: all[i - 1].cursor });

    expect((await pb.control(sessionId, 'kill')).status).toBe(202);
    await reading;
    expect(blocks.at(-1)).toEqual({ event: 'end', data: { reason: `session ${sessionId} has no live terminal` } });
  });

  it('answers 409 for a session without a live terminal', async () => {
    const gone = await pb.request<{ message: string }>('GET', `/api/sessions/${sessionId}/screen`);
    expect(gone).toEqual({ status: 409, body: expect.objectContaining({ message: `session ${sessionId} has no live terminal` }) });
    expect((await pb.request('GET', `/api/sessions/${sessionId}/screen/stream`)).status).toBe(409);
    // The runner lets go of the session once the run's end is journaled.
    let typing: { status: number; body: { message?: string } } | undefined;
    await waitUntil(async () => (typing = await pb.request('POST', `/api/sessions/${sessionId}/input`, { text: 'echo late' })).status === 409, 'typing to be refused');
    expect(typing!.body.message).toBe(`session ${sessionId} has no live terminal`);
    expect((await pb.request('GET', '/api/sessions/nosuch0000/screen')).status).toBe(409);
  });
});
