import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Bus, NatsTransport } from '@patchbay/bus';
import { ApprovalV1 } from '@patchbay/contracts';
import { Database, SessionsStore } from '@patchbay/persistence';
import { createTestDatabase } from './support/databases';
import { freePort, PatchbayProcesses, removeScratch, runPatchbay as patchbay, scratchDir, writeConfig } from './support/patchbay-processes';
import { describeWith, NATS_URL } from './support/services';

jest.setTimeout(90_000);

/**
 * `patchbay approvals`, `approve` and `deny` against a running all-in-one on NATS; the
 * runner's ask is a bus request from the test (no agent asks on this branch yet).
 */
describeWith(['nats', 'postgres'], 'patchbay approvals / approve / deny', () => {
  const dir = scratchDir('approvals-cli');
  const prefix = `pbtest${randomBytes(4).toString('hex')}`;
  let processes: PatchbayProcesses;
  let database: { url: string; drop: () => Promise<void> };
  let env: NodeJS.ProcessEnv;
  let bus: Bus;
  let db: Database;
  let sessionId: string;

  const ask = (toolUseId: string, command: string): Promise<ApprovalV1> =>
    bus.request('approval.ask', { sessionId, taskId: null, agent: 'claude', toolUseId, tool: 'Bash', input: { command }, summary: command });

  beforeAll(async () => {
    database = await createTestDatabase('pb_approvals_cli');
    const port = await freePort();
    env = {
      PATCHBAY_CONFIG: writeConfig(dir, 'defaultAgent: demo\n'),
      PATCHBAY_HOME: join(dir, 'home'),
      PATCHBAY_HTTP_PORT: String(port),
      PATCHBAY_BUS_PREFIX: prefix,
      PATCHBAY_URL: `http://127.0.0.1:${port}`,
      NATS_URL,
      DATABASE_URL: database.url,
    };
    processes = new PatchbayProcesses([[]], { ...process.env, ...env }, dir);
    processes.start();
    await processes.waitReady(`http://127.0.0.1:${port}`, {});
    bus = new Bus(await NatsTransport.connect(NATS_URL, 'approvals-cli-runner'), { prefix, requestTimeoutMs: 10_000 });
    db = await Database.connect(database.url);
    sessionId = await new SessionsStore(db).openSession('local', 'approvals-cli', 'claude');
  });

  afterAll(async () => {
    await processes?.stop();
    await bus?.close();
    await db?.onApplicationShutdown();
    await database?.drop();
    removeScratch(dir);
  });

  it('lists what waits, approves for the session, denies with a reason, and says when it was already decided', async () => {
    const first = await ask('tu1', 'git status --short');
    const second = await ask('tu2', 'rm -rf build');

    const listed = await patchbay(['approvals'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^ID\s+SESSION\s+AGENT\s+TOOL\s+WHAT\s+EXPIRES$/m);
    expect(listed.stdout).toMatch(new RegExp(`^${first.id}\\s+${sessionId}\\s+claude\\s+Bash\\s+git status --short\\s`, 'm'));
    expect(listed.stdout).toContain(second.id);

    const approved = await patchbay(['approve', first.id, '--session'], env);
    expect(approved).toMatchObject({ code: 0, stdout: `Bash allowed for the rest of session ${sessionId}: git status --short\n` });
    expect(await ask('tu3', 'git status')).toMatchObject({ status: 'allowed', decidedBy: 'session' });

    const denied = await patchbay(['deny', second.id, 'not', 'on', 'main'], env);
    expect(denied).toMatchObject({ code: 0, stdout: 'Bash denied: rm -rf build\n' });
    expect(await ask('tu2', 'rm -rf build')).toMatchObject({ status: 'denied', reason: 'not on main', decidedBy: expect.stringMatching(/^local:/) });

    const again = await patchbay(['approve', second.id], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/409 Conflict: already decided by \S+: deny/);
    expect((await patchbay(['approvals'], env)).stdout).toBe('(nothing waits for an answer)\n');
  });

  it('explains a missing id', async () => {
    const result = await patchbay(['approve'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('approve needs a request id');
  });
});
