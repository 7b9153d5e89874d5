import { PromptPatternSchema } from '@patchbay/config';
import { ApprovalV1 } from '@patchbay/contracts';
import { CLAUDE_TUI_PROMPTS } from '@patchbay/agents';
import { pendingApproval } from '../../../../test/fakes/approvals/fake-approvals-engine';
import type { PermissionQuestion } from './permission-wire';
import { ScreenPrompts } from './screen-prompts';

/** Claude Code's prompt as its TUI draws it (box and all). */
const CLAUDE_SCREEN = [
  '> touch a.txt',
  '',
  '╭───────────────────────────────────────────────╮',
  '│ Bash command                                  │',
  '│                                               │',
  '│   touch a.txt                                 │',
  '│   Create the marker file                      │',
  '│                                               │',
  '│ Do you want to proceed?                       │',
  '│ ❯ 1. Yes                                      │',
  "│   2. Yes, and don't ask again for touch commands in /work │",
  '│   3. No, and tell Claude what to do differently (esc) │',
  '╰───────────────────────────────────────────────╯',
].join('\n');

const decided = (question: PermissionQuestion, fields: Partial<ApprovalV1>): ApprovalV1 => ({
  ...pendingApproval({ sessionId: 's1', taskId: 't1', agent: 'tui', toolUseId: question.toolUseId, tool: question.tool, input: question.input, summary: '' }, 'ap1', new Date()),
  ...fields,
});

describe('ScreenPrompts', () => {
  let screen: string;
  let typed: Array<{ keys: string[] } | { text: string }>;
  let asked: Array<{ question: PermissionQuestion; summary: string; answer: (approval: ApprovalV1) => void }>;
  let prompts: ScreenPrompts;
  const bottom = (lines: number) => screen.split('\n').slice(-lines).join('\n');
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  beforeEach(() => {
    screen = '';
    typed = [];
    asked = [];
    prompts = new ScreenPrompts(CLAUDE_TUI_PROMPTS, 'run1', (question, summary) => new Promise((answer) => asked.push({ question, summary, answer })), {
      keys: async (keys) => typed.push({ keys }),
      text: async (text) => typed.push({ text }),
    });
  });

  it("asks claude's Bash prompt with its command as input, types nothing while it waits, then types Yes", async () => {
    screen = CLAUDE_SCREEN;
    prompts.look(bottom);
    prompts.look(bottom);
    expect(asked).toHaveLength(1);
    const [{ question, summary }] = asked;
    expect(question).toEqual({ toolUseId: expect.stringMatching(/^screen-run1-[0-9a-f]{12}-1$/), tool: 'Bash', input: { command: 'touch a.txt' } });
    expect(summary).toContain('Do you want to proceed?');
    expect(typed).toEqual([]);
    asked[0].answer(decided(question, { status: 'allowed', decision: 'allow_once' }));
    await settle();
    expect(typed).toEqual([{ keys: ['1'] }]);
    // Still on screen a moment after the answer: not asked again.
    prompts.look(bottom);
    expect(asked).toHaveLength(1);
  });

  it('denies with Escape, then types who denied and why', async () => {
    screen = CLAUDE_SCREEN;
    prompts.look(bottom);
    asked[0].answer(decided(asked[0].question, { status: 'denied', decision: 'deny', decidedBy: 'telegram:1', deciderName: 'Ada', reason: 'not on main' }));
    await settle();
    expect(typed).toEqual([{ keys: ['Escape'] }, { text: 'Denied by Ada: not on main' }]);
  });

  it('asks again when the prompt shows again later: a new tool use', async () => {
    screen = CLAUDE_SCREEN;
    prompts.look(bottom);
    asked[0].answer(decided(asked[0].question, { status: 'allowed', decision: 'allow_once' }));
    await settle();
    screen = '> done';
    prompts.look(bottom);
    screen = CLAUDE_SCREEN;
    prompts.look(bottom);
    expect(asked).toHaveLength(2);
    expect(asked[1].question.toolUseId).toMatch(/-2$/);
    expect(asked[1].question.toolUseId.replace(/-2$/, '')).toBe(asked[0].question.toolUseId.replace(/-1$/, ''));
  });

  it('types nothing when the prompt left the screen before the answer (answered at the terminal)', async () => {
    screen = CLAUDE_SCREEN;
    prompts.look(bottom);
    screen = '> answered by hand';
    prompts.look(bottom);
    asked[0].answer(decided(asked[0].question, { status: 'allowed', decision: 'allow_once' }));
    await settle();
    expect(typed).toEqual([]);
  });

  it('takes a pattern of your own: tool and summary groups, allow_session keys', async () => {
    const pattern = PromptPatternSchema.parse({
      name: 'yn',
      match: String.raw`Run (?<summary>(?<command>\S.*))\? \[y/a/N\]`,
      tool: 'Bash',
      keys: { allow_once: ['y'], allow_session: ['a'], deny: ['n'] },
    });
    const own = new ScreenPrompts([pattern], 'run2', (question, summary) => new Promise((answer) => asked.push({ question, summary, answer })), {
      keys: async (keys) => typed.push({ keys }),
      text: async (text) => typed.push({ text }),
    });
    screen = 'building…\nRun make deploy? [y/a/N]';
    own.look(bottom);
    expect(asked[0]).toMatchObject({ question: { tool: 'Bash', input: { command: 'make deploy' } }, summary: 'make deploy' });
    asked[0].answer(decided(asked[0].question, { status: 'allowed', decision: 'allow_session' }));
    await settle();
    expect(typed).toEqual([{ keys: ['a'] }]);
  });

  it('refuses a pattern that is not a regular expression, naming the field', () => {
    const parsed = PromptPatternSchema.safeParse({ name: 'bad', match: '(unclosed', keys: { allow_once: ['y'], deny: ['n'] } });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]).toMatchObject({ path: ['match'], message: 'not a valid regular expression (JavaScript syntax)' });
  });
});
