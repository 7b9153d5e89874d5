import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InboundAcceptedV1 } from '@patchbay/contracts';
import { PatchbayInstance, waitUntil } from './support/patchbay-instance';
import { describeWith } from './support/services';

jest.setTimeout(120_000);

/** A token of GitHub's shape, planted where a log line will show it: in an agent's command. */
const PLANTED = 'ghp_PlantedInAnAgentCommand0123456789abcd';

interface LogLine {
  level: string;
  time: string;
  msg: string;
  context?: string;
  sessionId?: string;
  taskId?: string;
  runId?: string;
}

/** Issue #10: PATCHBAY_LOG_FORMAT=json gives one JSON object a line, with the ids of the run it belongs to. */
describeWith(['tmux'], 'JSON logs (all-in-one)', () => {
  let pb: PatchbayInstance;
  let demo: InboundAcceptedV1;
  let broken: InboundAcceptedV1;

  /** Everything the process wrote to stdout and stderr (one file), line by line. */
  const output = (): string[] => {
    const file = readdirSync(pb.dir).find((name) => name.startsWith('all-in-one.') && name.endsWith('.log'))!;
    return readFileSync(join(pb.dir, file), 'utf8').split('\n').filter(Boolean);
  };
  const lines = (): LogLine[] => output().map((line) => JSON.parse(line) as LogLine);

  beforeAll(async () => {
    pb = PatchbayInstance.prepare('json-logs');
    await pb.start(
      {
        defaultAgent: 'demo',
        agents: { broken: { command: `/nonexistent/${PLANTED}/agent` } },
        routing: { rules: [{ name: 'broken', match: { keywords: ['broken'] }, agents: ['broken'] }] },
      },
      { ...process.env, PATCHBAY_LOG_FORMAT: 'json', PATCHBAY_LOG_LEVEL: 'info' },
    );
    demo = await pb.send('hello json logs', 'chat-demo');
    await pb.taskEvents(demo.sessionId!, demo.taskId!);
    // Its runner refuses the run (the command is not on the PATH): a WARN line quoting the command.
    broken = await pb.send('the broken agent, please', 'chat-broken');
    await pb.taskEvents(broken.sessionId!, broken.taskId!);
    await waitUntil(() => output().some((line) => line.includes('could not start')), 'the line about the broken agent');
  });
  afterAll(() => pb?.stop());

  it('writes only JSON lines, each with a level, a time and a message', () => {
    const text = output();
    expect(text.length).toBeGreaterThan(5);
    for (const line of text) {
      expect(() => JSON.parse(line)).not.toThrow();
      expect(JSON.parse(line)).toEqual(expect.objectContaining({ level: expect.any(String), time: expect.any(String), msg: expect.any(String) }));
    }
    expect(lines().some((l) => l.context === 'Patchbay' && l.msg.startsWith('starting all-in-one'))).toBe(true);
  });

  it('gives the lines of a run its session, task and run ids', () => {
    const ofTask = lines().filter((l) => l.taskId === demo.taskId);
    // The engine queues and dispatches it; the runner starts it.
    expect(ofTask.map((l) => l.msg)).toEqual(
      expect.arrayContaining([`task ${demo.taskId} queued in session ${demo.sessionId}`, expect.stringMatching(/^run \S+ started: agent demo in pb-/)]),
    );
    const started = ofTask.find((l) => l.msg.includes('started: agent demo'))!;
    expect(started).toMatchObject({ sessionId: demo.sessionId, taskId: demo.taskId, runId: expect.any(String) });
    expect(started.msg).toContain(`run ${started.runId} `);
    // Lines of other work do not borrow them.
    expect(lines().find((l) => l.msg.startsWith('starting all-in-one'))).not.toHaveProperty('taskId');
  });

  it("redacts a secret on a run's WARN line, and carries that run's ids", () => {
    expect(output().join('\n')).not.toContain(PLANTED);
    const warn = lines().find((l) => l.msg.includes('could not start'))!;
    expect(warn).toMatchObject({ level: 'warn', sessionId: broken.sessionId, taskId: broken.taskId, runId: expect.any(String) });
    expect(warn.msg).toContain('/nonexistent/[redacted:github-token]/agent');
  });
});
