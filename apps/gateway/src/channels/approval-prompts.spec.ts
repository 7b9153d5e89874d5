import { Bus } from '@patchbay/bus';
import { ApprovalListQueryV1, ApprovalV1, BindingV1 } from '@patchbay/contracts';
import { ChannelCapabilities, ChannelPlugin } from '@patchbay/plugin-sdk';
import { MemoryTransport } from '@patchbay/plugin-sdk/testing';
import { Redactor } from '@patchbay/security';
import { pendingApproval } from '../../../../test/fakes/approvals/fake-approvals-engine';
import { ApprovalPrompts } from './approval-prompts';

/** A channel plugin that is a strict in-memory platform. */
function memoryPlugin(id: string, capabilities: Partial<ChannelCapabilities>): ChannelPlugin & MemoryTransport {
  return Object.assign(new MemoryTransport({ capabilities }), { id, start: async () => undefined, stop: async () => undefined });
}

const SUMMARY = 'curl -H "Authorization: Bearer sekret-token-123" https://example.com';
const request = (id: string, sessionId = 's1'): ApprovalV1 =>
  pendingApproval({ sessionId, taskId: 't1', agent: 'claude', toolUseId: `tu-${id}`, tool: 'Bash', input: {}, summary: SUMMARY }, id, new Date('2030-01-01T10:00:00Z'));
const allowed = (approval: ApprovalV1): ApprovalV1 => ({
  ...approval,
  status: 'allowed',
  decision: 'allow_once',
  decidedBy: 'telegram:1',
  deciderName: 'Ada',
  decidedAt: '2030-01-01T10:01:00.000Z',
});

describe('ApprovalPrompts', () => {
  let telegram: ChannelPlugin & MemoryTransport;
  let github: ChannelPlugin & MemoryTransport;
  let bindings: Record<string, BindingV1[]>;
  let waiting: ApprovalV1[];
  let prompts: ApprovalPrompts;

  beforeEach(() => {
    telegram = memoryPlugin('telegram', { buttons: true });
    github = memoryPlugin('github', { buttons: false, edit: true, maxMessageLength: 65_536 });
    bindings = {
      s1: [
        { channel: 'telegram', chatId: 'g1', delivery: 'live' },
        { channel: 'github', chatId: 'o/r#1', delivery: 'live' },
      ],
    };
    waiting = [];
    // Strict: the bus only answers the one query the prompts may make.
    const bus = {
      request: async (subject: string, query: ApprovalListQueryV1) => {
        if (subject !== 'approvals.list') throw new Error(`unexpected request ${subject}`);
        return { approvals: waiting.filter((a) => !query.sessionId || a.sessionId === query.sessionId) };
      },
    } as unknown as Bus;
    const host = { plugins: new Map<string, ChannelPlugin>([telegram, github].map((p) => [p.id, p])), bindingsOf: async (id: string) => bindings[id] ?? [] };
    prompts = new ApprovalPrompts(host, bus, new Redactor(new Map([['sekret-token-123', 'API token']]), []));
  });

  afterEach(() => {
    expect(telegram.violations()).toEqual([]);
    expect(github.violations()).toEqual([]);
  });

  it('asks in every chat of the session, redacted: buttons where the platform has them, the commands where not', async () => {
    await prompts.requested(request('a1'));
    const [shown] = telegram.messages('g1');
    expect(shown.text).toContain('claude asks to use **Bash** (approval a1)');
    expect(shown.text).toContain('[redacted:API token]');
    expect(shown.text).not.toContain('sekret');
    expect(shown.buttons.map((b) => b.label)).toEqual(['Allow once', 'Allow for this session', 'Deny']);
    const [comment] = github.messages('o/r#1');
    expect(comment.buttons).toEqual([]);
    expect(comment.text).toContain('`/approve a1`');
  });

  it('edits each message once decided: who decided, no buttons; a request event after its decision shows nothing', async () => {
    await prompts.requested(request('a1'));
    await prompts.answered(allowed(request('a1')));
    expect(telegram.messages('g1')).toEqual([expect.objectContaining({ text: expect.stringMatching(/^✅ Bash allowed once by Ada \(approval a1\)/), buttons: [] })]);
    expect(github.messages('o/r#1')[0].text).toMatch(/^✅ Bash allowed once by Ada/);

    await prompts.answered(allowed(request('a2')));
    await prompts.requested(request('a2'));
    expect(telegram.messages('g1')).toHaveLength(1);
  });

  it('shows a chat that attaches late what waits, once', async () => {
    await prompts.requested(request('a1'));
    bindings.s1.push({ channel: 'telegram', chatId: 'g2', delivery: 'final' });
    waiting = [request('a1')];
    await prompts.rebound('s1');
    await prompts.rebound('s1');
    expect(telegram.messages('g1')).toHaveLength(1);
    expect(telegram.messages('g2')).toHaveLength(1);
  });

  it('after a restart shows every request still waiting to its chats', async () => {
    bindings.s2 = [{ channel: 'telegram', chatId: 'g3', delivery: 'live' }];
    waiting = [request('a1'), request('b1', 's2')];
    await prompts.showPending();
    expect(telegram.messages('g1').map((m) => m.text)).toEqual([expect.stringContaining('approval a1')]);
    expect(telegram.messages('g3').map((m) => m.text)).toEqual([expect.stringContaining('approval b1')]);
  });

  it('waits out a 429 and sends the request again', async () => {
    telegram.rateLimitNext(50, 'g1');
    await prompts.requested(request('a1'));
    expect(telegram.callsTo('g1').map((c) => c.outcome)).toEqual(['rate_limited', 'ok']);
    expect(telegram.messages('g1')).toHaveLength(1);
  });

  it('sends the decision as a new message where the platform cannot edit', async () => {
    const plain = memoryPlugin('plain', { edit: false, buttons: false });
    const host = { plugins: new Map<string, ChannelPlugin>([['plain', plain]]), bindingsOf: async () => [{ channel: 'plain', chatId: 'c', delivery: 'append' as const }] };
    const own = new ApprovalPrompts(host, {} as Bus, new Redactor(new Map(), []));
    await own.requested(request('a1'));
    await own.answered(allowed(request('a1')));
    expect(plain.messages('c').map((m) => m.text.split(' (')[0])).toEqual(['🔐 claude asks to use **Bash**', '✅ Bash allowed once by Ada']);
  });
});
