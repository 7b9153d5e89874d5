import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApprovalAskV1, ApprovalV1 } from '@patchbay/contracts';
import { Redactor, TOKEN_SHAPES } from '@patchbay/security';
import { pendingApproval } from '../../../../test/fakes/approvals/fake-approvals-engine';
import { ApprovalBroker } from './approval-broker';

const HOUR = 3_600_000;

describe('ApprovalBroker', () => {
  let dir: string;
  let broker: ApprovalBroker;
  let asks: ApprovalAskV1[];
  /** What the next asks get, in order; the last one repeats. */
  let replies: Array<(ask: ApprovalAskV1) => ApprovalV1>;

  const approval = (ask: ApprovalAskV1, fields: Partial<ApprovalV1> = {}): ApprovalV1 => ({
    ...pendingApproval(ask, 'ap1', new Date('2026-01-01T00:00:00.000Z')),
    ...fields,
  });
  const pending = (ask: ApprovalAskV1) => approval(ask);
  const allowed = (ask: ApprovalAskV1) => approval(ask, { status: 'allowed', decision: 'allow_once', decidedBy: 'telegram:1' });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pb-broker-'));
    asks = [];
    replies = [];
    const redactor = new Redactor(new Map(), TOKEN_SHAPES);
    broker = new ApprovalBroker(
      join(dir, 'approvals.sock'),
      { sessionId: 's1', taskId: 't1', agent: 'claude' },
      async (ask) => {
        asks.push(ask);
        const reply = replies.length > 1 ? replies.shift()! : replies[0];
        return reply(ask);
      },
      redactor,
      { reaskMs: HOUR, retryMs: 5 },
    );
    await broker.listen();
  });

  afterEach(async () => {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** What the permission MCP server does: one question line, one answer line (null if the socket closed first). */
  function question(line: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const socket = connect(join(dir, 'approvals.sock'));
      let buffer = '';
      socket.setEncoding('utf8');
      socket.on('connect', () => socket.write(`${line}\n`));
      socket.on('data', (chunk: string) => {
        buffer += chunk;
        if (buffer.includes('\n')) {
          resolve(JSON.parse(buffer.slice(0, buffer.indexOf('\n'))));
          socket.end();
        }
      });
      socket.on('close', () => resolve(null));
      socket.on('error', reject);
    });
  }
  const bash = (command: string, toolUseId = 'toolu_1') => JSON.stringify({ toolUseId, tool: 'Bash', input: { command } });
  const until = async (condition: () => boolean) => {
    while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
  };

  it('only its user may connect', () => {
    expect(statSync(join(dir, 'approvals.sock')).mode & 0o777).toBe(0o600);
  });

  it('asks with a redacted input and summary, waits while pending, asks again on a decided hint, then allows the input as given', async () => {
    replies = [pending, allowed];
    const command = 'curl -H "token: ghp_abcdefghijklmnopqrstuvwxyz0123456789" example.com';
    const answer = question(bash(command));
    await until(() => asks.length === 1);
    expect(asks[0]).toMatchObject({ sessionId: 's1', taskId: 't1', agent: 'claude', toolUseId: 'toolu_1', tool: 'Bash' });
    expect(JSON.stringify(asks[0])).not.toContain('ghp_abcdefghijklmnopqrstuvwxyz0123456789');

    // A hint for another session, or another tool use, is not this one's.
    broker.hint({ ...allowed(asks[0]), sessionId: 's2' });
    broker.hint({ ...allowed(asks[0]), toolUseId: 'toolu_other' });
    // A woken wait asks again through promises alone (the fake ask does no I/O): settled by now.
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(asks).toHaveLength(1);
    broker.hint(allowed(asks[0]));

    expect(await answer).toEqual({ behavior: 'allow', updatedInput: { command } });
    expect(asks).toHaveLength(2);
    expect(asks[1]).toEqual(asks[0]);
  });

  it('a denial tells the agent who denied and why; a timeout says nobody answered', async () => {
    replies = [(ask) => approval(ask, { status: 'denied', decision: 'deny', decidedBy: 'discord:7', reason: 'not today' })];
    expect(await question(bash('rm -rf build'))).toEqual({ behavior: 'deny', message: 'Denied by discord:7: not today' });
    replies = [(ask) => approval(ask, { status: 'denied', decision: 'deny', decidedBy: 'timeout' })];
    expect(await question(bash('rm -rf build', 'toolu_2'))).toEqual({
      behavior: 'deny',
      message: 'Nobody answered the approval request for Bash in time, so it was denied and not run.',
    });
  });

  it('asks again when an ask fails (no engine yet)', async () => {
    replies = [
      () => {
        throw new Error('no_responder');
      },
      allowed,
    ];
    expect(await question(bash('ls'))).toEqual({ behavior: 'allow', updatedInput: { command: 'ls' } });
    expect(asks).toHaveLength(2);
  });

  it('closing leaves a waiting question unanswered (the permission server asks the next runner)', async () => {
    replies = [pending];
    const answer = question(bash('ls'));
    await until(() => asks.length === 1);
    await broker.close();
    expect(await answer).toBeNull();
  });

  it('answers a question it cannot read with a denial that says why', async () => {
    expect(await question('not json')).toEqual({ behavior: 'deny', message: 'Patchbay could not read the permission question (not JSON)' });
    expect(await question(JSON.stringify({ tool: 'Bash' }))).toEqual({
      behavior: 'deny',
      message: 'Patchbay could not read the permission question (toolUseId, tool and input are required)',
    });
    expect(asks).toEqual([]);
  });
});
