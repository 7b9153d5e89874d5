import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, GATED_AGENT, PATCHBAY_BIN, PatchbayProcesses, scratchDir, writeConfig } from './support/patchbay-processes';
import { RUN_MODES, tearDownRun } from './support/run-modes';
import { describeWith } from './support/services';
import { readSse, SseEvent } from './support/sse';

jest.setTimeout(180_000);

const run = promisify(execFile);

/**
 * One run's events, each seq once and in order, with the gated agent's whole output
 * streamed exactly once and a final at the end.
 */
function expectOneCompleteRun(events: SseEvent[], prompt: string): void {
  const seqs = events.map((e) => e.id);
  expect(seqs).toEqual(seqs.map((_, i) => seqs[0] + i));
  const data = events.map((e) => e.data as { type: string; text?: string });
  const streamed = data
    .filter((e) => e.type === 'text')
    .map((e) => e.text)
    .join('');
  expect(streamed).toBe(`working on: ${prompt}\ndone: ${prompt}\n`);
  expect(data.at(-1)).toMatchObject({ type: 'final', exitCode: 0 });
}

async function until(condition: () => Promise<boolean>, timeoutMs: number, state?: () => Promise<string>): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await condition());) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${state ? `: ${await state()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Thrown from an SSE callback to stop reading once the test has seen enough. */
class StopReading extends Error {}

for (const mode of RUN_MODES) {
  describeWith(mode.needs, `walking skeleton: ${mode.name}`, () => {
    const dir = scratchDir('e2e');
    const tmuxSocket = `pbtest-${randomBytes(4).toString('hex')}`;
    let baseUrl: string;
    /** Sessions on this suite's tmux server; none when the server is not running. */
    const tmuxSessions = (): string[] => {
      try {
        return execFileSync('tmux', ['-L', tmuxSocket, 'list-sessions', '-F', '#{session_name}'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n');
      } catch {
        return [];
      }
    };
    let processes: PatchbayProcesses;
    let cleanup: () => Promise<void> = async () => {};
    const prefix = `pbtest${randomBytes(4).toString('hex')}`;

    beforeAll(async () => {
      const port = await freePort();
      baseUrl = `http://127.0.0.1:${port}`;
      const prepared = await mode.prepare();
      cleanup = prepared.cleanup;
      const config = writeConfig(
        dir,
        [
          'defaultAgent: gated',
          'agents:',
          '  gated:',
          `    command: ${process.execPath}`,
          `    args: [${JSON.stringify(GATED_AGENT)}, "{prompt}"]`,
          `    env: { GATE_DIR: ${JSON.stringify(dir)} }`,
        ].join('\n'),
      );
      processes = new PatchbayProcesses(
        mode.roles,
        {
          ...process.env,
          ...prepared.env,
          PATCHBAY_CONFIG: config,
          PATCHBAY_HOME: join(dir, 'home'),
          PATCHBAY_HTTP_PORT: String(port),
          PATCHBAY_TMUX_SOCKET: tmuxSocket,
          PATCHBAY_BUS_PREFIX: prefix,
          PATCHBAY_RUNNER_ID: 'runner-e2e',
        },
        dir,
      );
      processes.start();
      await processes.waitReady(baseUrl);
    });

    afterAll(() => tearDownRun({ mode, processes, cleanup, prefix, tmuxSocket, dir }));

    const post = (body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${baseUrl}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    const getJson = async (path: string): Promise<any> => {
      const response = await fetch(`${baseUrl}${path}`);
      expect(response.status).toBe(200);
      return response.json();
    };

    let sessionId: string;
    let taskId: string;
    let firstRun: SseEvent[];

    it('reports health and readiness of bus, database, runners and tmux', async () => {
      expect((await fetch(`${baseUrl}/healthz`)).status).toBe(200);
      const ready = await getJson('/readyz');
      expect(ready.status).toBe('ready');
      expect(ready.checks.bus.ok).toBe(true);
      expect(ready.checks.database).toEqual({ ok: true, detail: expect.stringMatching(/^connected to /) });
      expect(ready.checks.runners).toMatchObject({ ok: true, count: 1 });
      expect(ready.checks.tmux.detail).toMatch(/^tmux \d/);
    });

    it('serves the web page with a strict content security policy', async () => {
      const page = await fetch(`${baseUrl}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      // No other site may frame the page (clickjacking).
      expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(page.headers.get('cache-control')).toBe('no-cache');
      const html = await page.text();
      // No inline script: the one script is a built file of its own.
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      const src = /<script type="module" crossorigin src="(\/assets\/[\w-]+\.js)"><\/script>/.exec(html)![1];
      const script = await fetch(`${baseUrl}${src}`);
      expect(script.headers.get('content-type')).toContain('text/javascript');
      expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(await script.text()).toContain('/api/sessions/');
      expect((await fetch(`${baseUrl}/assets/..%2Fpackage.json`)).status).toBe(404);
    });

    it('runs a message through an agent in tmux and streams its output over SSE', async () => {
      const response = await post({ text: 'hello [gate]', chat: 'e2e-chat' });
      expect(response.status).toBe(201);
      ({ taskId, sessionId } = (await response.json()) as { taskId: string; sessionId: string });

      let sawWorking!: () => void;
      const working = new Promise<void>((done) => (sawWorking = done));
      const stream = readSse(`${baseUrl}/api/sessions/${sessionId}/events`, {
        onEvent: (e) => {
          if ((e.data as { text?: string }).text?.includes('working on: hello')) sawWorking();
        },
      });
      await working;
      // The agent is live in tmux session pb-<session>, where a person could attach.
      expect(tmuxSessions()).toContain(`pb-${sessionId}`);
      writeFileSync(join(dir, `${sessionId}.go`), '');
      firstRun = await stream;

      const events = firstRun.map((e) => e.data as { type: string; seq: number; text: string; taskId: string });
      expect(firstRun.map((e) => e.id)).toEqual(events.map((e) => e.seq));
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      expect(events[0]).toMatchObject({ type: 'status', taskId });
      expect(events[0].text).toContain(`pb-${sessionId}`);
      expect(events.at(-1)).toMatchObject({ type: 'final', exitCode: 0, text: 'working on: hello [gate]\ndone: hello [gate]' });
      const streamed = events
        .filter((e) => e.type === 'text')
        .map((e) => e.text)
        .join('');
      expect(streamed).toBe('working on: hello [gate]\ndone: hello [gate]\n');
    });

    it('stores the task, the session and the transcript', async () => {
      expect(await getJson(`/api/tasks/${taskId}`)).toMatchObject({ id: taskId, sessionId, status: 'done', agent: 'gated', error: null });
      expect(await getJson(`/api/sessions/${sessionId}`)).toMatchObject({
        id: sessionId,
        status: 'idle',
        tmuxSession: `pb-${sessionId}`,
        runnerId: 'runner-e2e',
        lastSeq: firstRun.length,
      });
      expect((await getJson('/api/sessions')).sessions.map((s: { id: string }) => s.id)).toContain(sessionId);
      expect((await getJson('/api/tasks')).tasks.map((t: { id: string }) => t.id)).toContain(taskId);
    });

    it('continues the bound chat in the same session through `patchbay send`', async () => {
      const { stdout, stderr } = await run(process.execPath, [PATCHBAY_BIN, 'send', '--chat', 'e2e-chat', 'second message'], {
        env: { ...process.env, PATCHBAY_URL: baseUrl },
      });
      expect(stdout).toBe('working on: second message\ndone: second message\n');
      expect(stderr).toContain(`in session ${sessionId}`);
      expect(stderr).toMatch(/\[done\]/);
      const session = await getJson(`/api/sessions/${sessionId}`);
      expect(session.lastSeq).toBeGreaterThan(firstRun.length);
    });

    it('reports a failing agent as an error event and a non-zero exit from `patchbay send`', async () => {
      const failed = run(process.execPath, [PATCHBAY_BIN, 'send', 'please [fail]'], { env: { ...process.env, PATCHBAY_URL: baseUrl } });
      await expect(failed).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('agent gated exited with status 3') });
    });

    it('runs a message sent twice with the same Idempotency-Key once', async () => {
      const key = `retry-${randomBytes(4).toString('hex')}`;
      const first = (await (await post({ text: 'only once' }, { 'idempotency-key': key })).json()) as {
        taskId: string;
        sessionId: string;
        duplicate: boolean;
      };
      const second = await post({ text: 'only once' }, { 'idempotency-key': key });
      expect(second.status).toBe(201);
      expect(await second.json()).toEqual({ ...first, duplicate: true });
      expect(first.duplicate).toBe(false);
      await readSse(`${baseUrl}/api/sessions/${first.sessionId}/events?task=${first.taskId}`);
      const tasks = (await getJson('/api/tasks')).tasks.filter((t: { prompt: string }) => t.prompt === 'only once');
      expect(tasks).toHaveLength(1);
    });

    it('refuses bad input with an error naming what was wrong', async () => {
      const empty = await post({ text: '   ' });
      expect(empty.status).toBe(400);
      expect(((await empty.json()) as { message: string }).message).toContain('text');
      const extra = await post({ text: 'hi', agent: 'x' });
      expect(extra.status).toBe(400);
      expect(((await extra.json()) as { message: string }).message).toContain('agent');
      expect((await post('{not json')).status).toBe(400);
      expect((await fetch(`${baseUrl}/api/sessions/nosuchsession`)).status).toBe(404);
      expect((await fetch(`${baseUrl}/api/sessions/${sessionId}/events?after=x`)).status).toBe(400);
    });

    // Only where roles are processes of their own can one die alone.
    if (mode.roles.length > 1) {
      it('loses and repeats no message when the engine is killed mid-way, and recovers its runs', async () => {
        const prompts = Array.from({ length: 20 }, (_, i) => `burst ${i}`);
        // Half the messages reach a live engine; it is killed while the rest arrive.
        const sent = prompts.map(async (text, i) => {
          await new Promise((resolve) => setTimeout(resolve, i * 40));
          return post({ text });
        });
        await new Promise((resolve) => setTimeout(resolve, 400));
        await processes.crash('engine');
        const statuses = (await Promise.all(sent)).map((r) => r.status);
        expect(statuses.every((s) => s === 201 || s === 202)).toBe(true);
        expect(statuses).toContain(202);
        processes.restart('engine');
        await processes.waitReady(baseUrl);

        const burst = async () =>
          ((await getJson('/api/tasks?limit=500')).tasks as Array<{ prompt: string; status: string; error: string | null }>).filter((t) => t.prompt.startsWith('burst '));
        await until(
          async () => {
            const tasks = await burst();
            return tasks.length === prompts.length && tasks.every((t) => t.status === 'done');
          },
          60_000,
          async () => {
            const tasks = await burst();
            const missing = prompts.filter((p) => !tasks.some((t) => t.prompt === p));
            const open = tasks.filter((t) => t.status !== 'done').map((t) => `${t.prompt}: ${t.status} ${t.error ?? ''}`);
            return `${tasks.length} tasks; missing ${JSON.stringify(missing)}; not done ${JSON.stringify(open)}`;
          },
        );
        const tasks = ((await getJson('/api/tasks?limit=500')).tasks as Array<{ id: string; prompt: string; sessionId: string }>).filter((t) => t.prompt.startsWith('burst '));
        expect(tasks.map((t) => t.prompt).sort()).toEqual([...prompts].sort());
        // Each agent ran once: one complete run in each task's stream.
        for (const task of tasks) expectOneCompleteRun(await readSse(`${baseUrl}/api/sessions/${task.sessionId}/events?task=${task.id}`), task.prompt);
      });

      it('re-adopts a live run after the runner is killed, losing and repeating nothing', async () => {
        const live = (await (await post({ text: 'runner crash [gate]' })).json()) as { taskId: string; sessionId: string };
        const seen: SseEvent[] = [];
        await readSse(`${baseUrl}/api/sessions/${live.sessionId}/events?task=${live.taskId}`, {
          onEvent: (e) => {
            seen.push(e);
            if ((e.data as { text?: string }).text?.includes('working on')) throw new StopReading();
          },
        }).catch((error) => {
          if (!(error instanceof StopReading)) throw error;
        });

        await processes.crash('runner');
        expect(tmuxSessions()).toContain(`pb-${live.sessionId}`);
        // Output written while no runner watches is picked up from the agent's log.
        writeFileSync(join(dir, `${live.sessionId}.go`), '');
        processes.restart('runner');

        const events = await readSse(`${baseUrl}/api/sessions/${live.sessionId}/events?task=${live.taskId}`);
        expectOneCompleteRun(events, 'runner crash [gate]');
        expect(events.slice(0, seen.length)).toEqual(seen);
        expect(events.map((e) => e.data)).toContainEqual(expect.objectContaining({ type: 'status', state: 'resumed' }));
        expect(await getJson(`/api/tasks/${live.taskId}`)).toMatchObject({ status: 'done' });
      });
    }

    it('keeps everything across a restart, replays the transcript, and resumes a live run', async () => {
      // A run still live when Patchbay stops keeps going in tmux; the restarted runner adopts it.
      const live = (await (await post({ text: 'across restart [gate]' })).json()) as { taskId: string; sessionId: string };
      await readSse(`${baseUrl}/api/sessions/${live.sessionId}/events`, {
        onEvent: (e) => {
          if ((e.data as { text?: string }).text?.includes('working on')) throw new StopReading();
        },
      }).catch((error) => {
        if (!(error instanceof StopReading)) throw error;
      });

      const codes = await processes.stop();
      expect(Object.values(codes)).toEqual(mode.roles.map(() => 0));
      expect(tmuxSessions()).toContain(`pb-${live.sessionId}`);
      processes.start();
      await processes.waitReady(baseUrl);

      const replay = await readSse(`${baseUrl}/api/sessions/${sessionId}/events?task=${taskId}`);
      expect(replay).toEqual(firstRun);
      const resumed = await readSse(`${baseUrl}/api/sessions/${sessionId}/events?task=${taskId}`, {
        headers: { 'last-event-id': '2' },
      });
      expect(resumed).toEqual(firstRun.slice(2));
      expect(await getJson(`/api/tasks/${taskId}`)).toMatchObject({ status: 'done' });

      const all = await readSse(`${baseUrl}/api/sessions/${sessionId}/events`);
      expect(all.map((e) => e.id)).toEqual(all.map((_, i) => i + 1));
      expect(all.slice(0, firstRun.length)).toEqual(firstRun);

      writeFileSync(join(dir, `${live.sessionId}.go`), '');
      const adopted = await readSse(`${baseUrl}/api/sessions/${live.sessionId}/events?task=${live.taskId}`);
      expectOneCompleteRun(adopted, 'across restart [gate]');
      expect(adopted.map((e) => e.data)).toContainEqual(expect.objectContaining({ type: 'status', state: 'resumed' }));
      expect(await getJson(`/api/tasks/${live.taskId}`)).toMatchObject({ status: 'done' });
    });
  });
}
