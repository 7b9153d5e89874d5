import { exampleDelivery } from '../../../test/fakes/github/github-deliveries';
import { COMMENT_MARKER } from './github.constants';
import { MAX_INBOUND_TEXT } from '@patchbay/contracts';
import { commentText, fitInbound, GitHubRequest, parseEvent } from './github-events';

const options = { label: 'bug', botLogin: 'patchbay-bot', handles: ['patchbay-bot'] };

function requestOf(event: string, payload: unknown): GitHubRequest {
  const parsed = parseEvent(event, payload, options);
  if (!('request' in parsed)) throw new Error(`ignored: ${parsed.ignored}`);
  return parsed.request;
}

describe('parseEvent (real deliveries from @octokit/webhooks-examples)', () => {
  it('turns issues.opened with the label into a task for the issue', () => {
    expect(requestOf('issues', exampleDelivery('issues', 'opened'))).toEqual({
      kind: 'issue',
      repo: 'Codertocat/Hello-World',
      number: 1,
      chatId: 'Codertocat/Hello-World#1',
      messageId: 'issue:444500041:start:21031067',
      sender: { id: '21031067', login: 'Codertocat' },
      text: expect.stringMatching(
        /^GitHub issue Codertocat\/Hello-World#1: Spelling error in the README file\nhttps:\/\/github\.com\/Codertocat\/Hello-World\/issues\/1\n\nIt looks like/,
      ),
      labels: ['bug'],
      at: '2019-05-15T15:20:18Z',
    });
  });

  it('gives issues.opened and issues.labeled by the same person one message id', () => {
    const opened = requestOf('issues', exampleDelivery('issues', 'opened'));
    expect(requestOf('issues', exampleDelivery('issues', 'labeled')).messageId).toBe(opened.messageId);
  });

  it('ignores an issue without the configured label, and a label that is not it', () => {
    expect(parseEvent('issues', exampleDelivery('issues', 'opened'), { ...options, label: 'patchbay' })).toEqual({ ignored: 'issue without the label patchbay' });
    const labeled = exampleDelivery('issues', 'labeled');
    labeled.label.name = 'wontfix';
    expect(parseEvent('issues', labeled, options)).toHaveProperty('ignored');
  });

  it('takes a comment that mentions the bot, without the mention, with the installation', () => {
    const payload = exampleDelivery('issue_comment', 'created', 3);
    payload.comment.body = '@patchbay-bot please fix the typo';
    expect(requestOf('issue_comment', payload)).toMatchObject({
      kind: 'comment',
      chatId: 'Codertocat/Hello-World#1',
      messageId: 'comment:492700400',
      text: 'please fix the typo',
      installationId: 1,
    });
  });

  it('ignores comments that ask nothing, the bot’s own, other bots’ and those carrying the marker', () => {
    const plain = exampleDelivery('issue_comment', 'created');
    expect(parseEvent('issue_comment', plain, options)).toEqual({ ignored: 'a comment that neither mentions the bot nor is a command' });

    const own = exampleDelivery('issue_comment', 'created');
    own.comment.body = '@patchbay-bot do it';
    own.comment.user.login = own.sender.login = 'patchbay-bot';
    expect(parseEvent('issue_comment', own, options)).toEqual({ ignored: "the bot's own action" });

    const bot = exampleDelivery('issue_comment', 'created');
    bot.comment.body = '@patchbay-bot do it';
    bot.comment.user = bot.sender = { ...bot.sender, login: 'dependabot[bot]', type: 'Bot' };
    expect(parseEvent('issue_comment', bot, options)).toEqual({ ignored: 'from the bot dependabot[bot]' });

    const marked = exampleDelivery('issue_comment', 'created');
    marked.comment.body = `@patchbay-bot quoted\n${COMMENT_MARKER}`;
    expect(parseEvent('issue_comment', marked, options)).toEqual({ ignored: "Patchbay's own comment" });
  });

  it('turns pull_request.opened and a review requested from the bot into review tasks', () => {
    const opened = requestOf('pull_request', exampleDelivery('pull_request', 'opened'));
    expect(opened).toMatchObject({
      kind: 'review',
      chatId: 'Codertocat/Hello-World#2',
      text: expect.stringMatching(/^Review pull request Codertocat\/Hello-World#2: Update the README with new information\./),
    });
    expect(opened.text).toContain('Branch changes into master');

    const requested = exampleDelivery('pull_request', 'review_requested');
    expect(parseEvent('pull_request', requested, options)).toEqual({ ignored: 'a review requested from someone else' });
    requested.requested_reviewer.login = 'patchbay-bot';
    expect(requestOf('pull_request', requested).messageId).toBe(opened.messageId);
  });

  it('ignores events and actions it does not handle, unread', () => {
    expect(parseEvent('issues', exampleDelivery('issues', 'edited'), options)).toEqual({ ignored: 'issues.edited is not handled' });
    expect(parseEvent('ping', { zen: 'Keep it logically awesome.' }, options)).toEqual({ ignored: 'ping is not handled' });
  });

  it('refuses a relevant delivery that lacks what it reads', () => {
    expect(() => parseEvent('issues', { action: 'opened', issue: { number: 'one' } }, options)).toThrow();
  });
});

describe('fitInbound', () => {
  it('leaves text that fits alone, and cuts a longer one with a note of how much is on GitHub only', () => {
    expect(fitInbound('short')).toBe('short');
    const long = 'x'.repeat(MAX_INBOUND_TEXT + 500);
    const fitted = fitInbound(long);
    expect(fitted.length).toBeLessThanOrEqual(MAX_INBOUND_TEXT);
    const shown = fitted.indexOf('\n\n[…');
    expect(fitted.slice(shown)).toBe(`\n\n[… ${long.length - shown} more characters not shown here: read the full text on GitHub]`);
  });
});

describe('commentText', () => {
  const handles = ['patchbay-bot'];

  it('takes the text around a mention, in any case', () => {
    expect(commentText('Hey @Patchbay-Bot, look at this', handles)).toBe('Hey , look at this');
    expect(commentText('@patchbay-bot', handles)).toBe('');
  });

  it('does not count look-alikes as mentions', () => {
    expect(commentText('ask @patchbay-bot2 or foo@patchbay-bot.com', handles)).toBe('');
  });

  it('takes known commands with or without a mention, the first line only', () => {
    expect(commentText('/stop', handles)).toBe('/stop');
    expect(commentText('@patchbay-bot /retry\nthanks', handles)).toBe('/retry');
    expect(commentText('/cc @someone', handles)).toBe('');
  });
});
