import type { ApprovalV1 } from '@patchbay/contracts';
import { pendingApproval } from '../../../../test/fakes/approvals/fake-approvals-engine';
import { commandOfButton } from '../channel/buttons';
import { approvalDecidedMessage, approvalRequestMessage, outcome } from './approval-text';

const request: ApprovalV1 = pendingApproval(
  { sessionId: 's1', taskId: 't1', agent: 'claude', toolUseId: 'tu1', tool: 'Bash', input: {}, summary: 'rm -rf build && npm run build' },
  'k3x7q2m7a5b4',
  new Date('2030-01-01T10:00:00Z'),
);
const chat = { buttons: true, maxMessageLength: 4096 };

describe('approval text', () => {
  it('asks with the tool, the summary in a code block, when it times out, and three buttons', () => {
    const message = approvalRequestMessage(request, chat);
    expect(message.text).toBe('🔐 claude asks to use **Bash** (approval k3x7q2m7a5b4):\n```\nrm -rf build && npm run build\n```\nDenied at 10:10 UTC if nobody answers.');
    expect(message.buttons!.map((b) => commandOfButton(b.id))).toEqual(['/approve k3x7q2m7a5b4', '/approve k3x7q2m7a5b4 session', '/deny k3x7q2m7a5b4']);
  });

  it('names the commands that answer where the platform has no buttons, "session" only where it applies', () => {
    const message = approvalRequestMessage({ ...request, scope: 'Bash(rm -rf:*)' }, { buttons: false, maxMessageLength: 65_536 });
    expect(message.buttons).toBeUndefined();
    for (const command of ['/approve k3x7q2m7a5b4`', '/approve k3x7q2m7a5b4 session` (Bash(rm -rf:*) in this session asks nobody again)', '/deny k3x7q2m7a5b4 [reason]`'])
      expect(message.text).toContain(command);
    expect(approvalRequestMessage({ ...request, scope: null }, { buttons: false, maxMessageLength: 65_536 }).text).not.toContain('session`');
  });

  it('fits a long summary into the platform limit, and keeps its code block closed', () => {
    const long = { ...request, summary: `${'x'.repeat(3000)}\n\`\`\`\nnot the end` };
    const message = approvalRequestMessage(long, { buttons: true, maxMessageLength: 2000 });
    expect(message.text.length).toBeLessThanOrEqual(2000);
    expect(message.text.match(/```/g)).toHaveLength(2);
    expect(message.text).toContain('…\n```\nDenied at');
  });

  it('says who decided what, without buttons', () => {
    const decided = (fields: Partial<ApprovalV1>) => ({ ...request, decidedAt: '2030-01-01T10:01:00.000Z', decidedBy: 'telegram:1', deciderName: 'Ada', ...fields });
    expect(outcome(decided({ status: 'allowed', decision: 'allow_once' }))).toBe('✅ Bash allowed once by Ada');
    expect(outcome(decided({ status: 'allowed', decision: 'allow_session' }))).toBe('✅ Bash allowed for this session by Ada');
    expect(outcome(decided({ status: 'denied', decision: 'deny', reason: 'not today' }))).toBe('⛔ Bash denied by Ada: not today');
    expect(outcome(decided({ status: 'denied', decision: 'deny', deciderName: null }))).toBe('⛔ Bash denied by telegram:1');
    expect(outcome(decided({ status: 'denied', decision: 'deny', decidedBy: 'timeout', deciderName: null, reason: 'nobody answered within 600 s' }))).toBe(
      '⌛ Bash denied: nobody answered within 600 s',
    );
    const message = approvalDecidedMessage(decided({ status: 'allowed', decision: 'allow_once' }), chat);
    expect(message).toEqual({ text: '✅ Bash allowed once by Ada (approval k3x7q2m7a5b4):\n```\nrm -rf build && npm run build\n```' });
  });
});
