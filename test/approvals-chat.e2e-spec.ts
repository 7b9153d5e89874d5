import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApprovalV1, newId, TaskV1 } from '@patchbay/contracts';
import { FakeAnthropicApi, toolResultText } from './fakes/anthropic/fake-anthropic-api';
import { FAKE_DISCORD_TOKEN, FakeDiscord } from './fakes/discord/fake-discord-api';
import { deliveryHeaders, exampleDelivery } from './fakes/github/github-deliveries';
import { FAKE_GITHUB_TOKEN, FakeGitHubApi, FakeUser } from './fakes/github/fake-github-api';
import { FAKE_BOT_TOKEN, FakeTelegramApi } from './fakes/telegram/fake-telegram-api';
import { PatchbayInstance, waitUntil } from './support/patchbay-instance';
import { describeWith } from './support/services';
import { claudeAgentProfile, envWithoutClaude } from './support/claude-agent';

jest.setTimeout(240_000);

// Long enough for the answered cases on a loaded machine; the timeout case waits it out.
const TIMEOUT_SECONDS = 40;
const ADA = { id: 111, first_name: 'Ada' };
const VIC = { id: 222, first_name: 'Vic' };
const DISCORD_ADA = { id: '2100000000000000001', username: 'ada', global_name: 'Ada' };
const GROUP = -100555;
const SECRET = 'approvals-webhook-secret';
const REPO = 'Codertocat/Hello-World';
const CODERTOCAT: FakeUser = { login: 'Codertocat', id: 21031067, type: 'User' };
const MALLORY: FakeUser = { login: 'mallory', id: 666, type: 'User' };

/**
 * Approvals where people are: the real claude CLI (against the fake Anthropic API) asks
 * for Bash; the request shows in a Telegram group and a Discord thread watching the same
 * session (fake Bot API, fake Discord), and on a GitHub issue (fake REST API); it is
 * answered by a button, a slash command or a comment, and only then does the command run.
 */
describeWith(['tmux'], 'approvals in chats: Telegram buttons, Discord, GitHub comments', () => {
  const model = new FakeAnthropicApi();
  const telegram = new FakeTelegramApi();
  const discord = new FakeDiscord();
  const github = new FakeGitHubApi();
  let pb: PatchbayInstance;
  let work: string;
  let channelId: string;
  let thread: string;
  let sessionId: string;

  beforeAll(async () => {
    await model.start();
    const apiRoot = await telegram.start();
    telegram.addChat({ id: GROUP, type: 'supergroup', title: 'team' });
    const { apiUrl, gatewayUrl } = await discord.start();
    const guild = discord.addGuild('team');
    channelId = discord.addTextChannel(guild.id, 'general').id;
    const githubUrl = await github.start();
    github.addRepo(REPO);
    github.setPermission(REPO, 'Codertocat', 'write');
    github.addIssue(REPO, { number: 1, title: 'Spelling error in the README file', body: 'typo', user: CODERTOCAT });
    pb = PatchbayInstance.prepare('approvals-chat');
    const claude = claudeAgentProfile(pb.dir, model.baseUrl);
    work = claude.work;
    await pb.start(
      {
        defaultAgent: 'claude',
        agents: { claude: claude.profile },
        approvals: { timeoutSeconds: TIMEOUT_SECONDS },
        access: { owners: [`telegram:${ADA.id}`, `discord:${DISCORD_ADA.id}`, 'local:*'], viewers: [`telegram:${VIC.id}`] },
        telegram: { token: FAKE_BOT_TOKEN, apiRoot },
        discord: { token: FAKE_DISCORD_TOKEN, apiUrl, gatewayUrl, guildId: guild.id },
        github: { token: FAKE_GITHUB_TOKEN, apiUrl: githubUrl, webhookSecret: SECRET },
      },
      envWithoutClaude(),
    );
    await waitUntil(() => discord.commands(guild.id).length > 0, 'the Discord slash commands');
  });

  afterAll(async () => {
    await pb?.stop();
    await Promise.all([model.stop(), telegram.stop(), discord.stop(), github.stop()]);
  });

  afterEach(() => {
    expect(model.unexpected()).toEqual([]);
    expect(telegram.unexpected()).toEqual([]);
    expect(discord.unexpected()).toEqual([]);
    expect(github.unexpected()).toEqual([]);
  });

  /** The model calls Bash once, then says what the tool result told it. */
  function scriptBash(command: string): void {
    model.enqueue(
      { toolUse: { id: `toolu_chat_${newId(8)}`, name: 'Bash', input: { command, description: 'Write a marker file' } } },
      { answerToolResult: (r) => `The tool said: ${toolResultText(r)}` },
    );
  }

  const pending = async () => (await pb.get<{ approvals: ApprovalV1[] }>('/api/approvals')).approvals;
  const onePending = async () => {
    await waitUntil(async () => (await pending()).length === 1, `a pending approval\n${pb.logs()}`, 90_000);
    return (await pending())[0];
  };
  const taskDone = (taskId: string) =>
    waitUntil(async () => ['done', 'failed'].includes((await pb.get<TaskV1>(`/api/tasks/${taskId}`)).status), `task ${taskId} to end\n${pb.logs()}`, 90_000);
  const lastTask = async () => (await pb.get<{ tasks: TaskV1[] }>('/api/tasks?limit=1')).tasks[0];
  const telegramPrompt = (id: string) => telegram.botMessages(GROUP).find((m) => m.text.includes(`approval ${id}`));
  const discordPrompt = (id: string) => discord.botMessages(thread).find((m) => !m.interactionId && m.content.includes(`approval ${id}`));
  /**
   * The chat's message of the request, once it was edited to say how it was decided. A group
   * takes 3 messages in 9 s (the plugin's budget, replies included), so the edit may wait its turn.
   */
  const decidedInTelegram = (id: string) =>
    waitUntil(() => telegramPrompt(id) !== undefined && telegramPrompt(id)!.reply_markup === undefined, `the Telegram request ${id} to lose its buttons`, 30_000);
  const audit = async () =>
    (await pb.get<{ entries: Array<{ actor: string; action: string; decision: string; target: string | null; detail: string | null }> }>('/api/audit')).entries;

  it('shows the request in Telegram with buttons and in a Discord thread that attaches late; a viewer is refused; Allow once runs it once, and every chat says who decided', async () => {
    // One command, no chaining: "for this session" can apply, so all three answers are offered.
    scriptBash('touch allowed.txt');
    telegram.userSends({ chatId: GROUP, from: ADA, text: 'write the allowed file' });
    const request = await onePending();
    sessionId = request.sessionId;
    expect(request).toMatchObject({ tool: 'Bash', summary: expect.stringContaining('touch allowed.txt'), scope: 'Bash(touch allowed.txt)' });

    await waitUntil(() => telegramPrompt(request.id)?.reply_markup !== undefined, 'the request in Telegram');
    const shown = telegramPrompt(request.id)!;
    expect(shown.text).toContain('claude asks to use Bash');
    expect(shown.text).toContain('touch allowed.txt');
    const buttons = shown.reply_markup!.inline_keyboard.flat();
    expect(buttons.map((b) => b.text)).toEqual(['Allow once', 'Allow for this session', 'Deny']);

    // A Discord thread attached while the request waits gets it too.
    thread = discord.userStartsThread({ channelId, owner: DISCORD_ADA, name: 'watching' }).id;
    const attach = discord.userRunsCommand({ channelId: thread, user: DISCORD_ADA, name: 'attach', options: { session: sessionId } });
    await waitUntil(() => Boolean(discord.interaction(attach.id)?.original?.content), 'the /attach answer');
    await waitUntil(() => discordPrompt(request.id) !== undefined, 'the request in the Discord thread');
    expect(discordPrompt(request.id)!.components.flatMap((row) => row.components.map((c) => c.label))).toEqual(['Allow once', 'Allow for this session', 'Deny']);

    const press = (from: typeof ADA, label: string) =>
      telegram.userPresses({ chatId: GROUP, messageId: shown.message_id, from, data: buttons.find((b) => b.text === label)!.callback_data! });
    const viewerPress = press(VIC, 'Allow once');
    await waitUntil(() => telegram.callbackAnswers.some((a) => a.callback_query_id === viewerPress.callbackQueryId), "the viewer's press to be answered");
    expect(telegram.callbackAnswers.find((a) => a.callback_query_id === viewerPress.callbackQueryId)!.text).toBe('You may not use /approve (your role: viewer).');
    expect(await pending()).toHaveLength(1);
    expect(existsSync(join(work, 'allowed.txt'))).toBe(false);
    expect(await audit()).toContainEqual(expect.objectContaining({ actor: `telegram:${VIC.id}`, action: 'approve', decision: 'deny' }));

    const ownerPress = press(ADA, 'Allow once');
    await taskDone((await lastTask()).id);
    expect(existsSync(join(work, 'allowed.txt'))).toBe(true);
    expect(telegram.callbackAnswers.find((a) => a.callback_query_id === ownerPress.callbackQueryId)!.text).toBe('✅ Bash allowed once by Ada.');

    await decidedInTelegram(request.id);
    await waitUntil(() => discordPrompt(request.id)!.components.length === 0, 'the Discord request to lose its buttons');
    expect(telegramPrompt(request.id)!.text).toContain('✅ Bash allowed once by Ada');
    expect(discordPrompt(request.id)!.content).toContain('✅ Bash allowed once by Ada');
    // A late answer finds it decided.
    const late = discord.userRunsCommand({ channelId: thread, user: DISCORD_ADA, name: 'deny', options: { id: request.id } });
    await waitUntil(() => Boolean(discord.interaction(late.id)?.original?.content), 'the late answer');
    expect(discord.interaction(late.id)!.original!.content).toBe(`Approval ${request.id}: already decided by Ada: allow_once.`);
  });

  it('a denial typed in Discord, with a reason, runs nothing, and the model is told the reason', async () => {
    scriptBash('echo denied > denied.txt');
    telegram.userSends({ chatId: GROUP, from: ADA, text: 'write the denied file' });
    const request = await onePending();
    await waitUntil(() => discordPrompt(request.id) !== undefined, 'the request in the Discord thread');

    const deny = discord.userRunsCommand({ channelId: thread, user: DISCORD_ADA, name: 'deny', options: { reason: 'not on a Friday' } });
    await waitUntil(() => Boolean(discord.interaction(deny.id)?.original?.content), 'the /deny answer');
    expect(discord.interaction(deny.id)!.original!.content).toBe('⛔ Bash denied by Ada: not on a Friday.');
    const task = await lastTask();
    await taskDone(task.id);
    expect(existsSync(join(work, 'denied.txt'))).toBe(false);
    const events = await pb.taskEvents(sessionId, task.id);
    expect(events.find((e) => e.type === 'final')?.text).toContain('not on a Friday');
    await decidedInTelegram(request.id);
    expect(telegramPrompt(request.id)!.text).toContain('⛔ Bash denied by Ada: not on a Friday');
  });

  it('denies a request nobody answers after approvals.timeoutSeconds, and the chats are told', async () => {
    scriptBash('echo late > late.txt');
    telegram.userSends({ chatId: GROUP, from: ADA, text: 'write the late file' });
    const request = await onePending();
    const task = await lastTask();
    await taskDone(task.id);
    expect(existsSync(join(work, 'late.txt'))).toBe(false);
    await decidedInTelegram(request.id);
    expect(telegramPrompt(request.id)!.text).toContain(`⌛ Bash denied: nobody answered within ${TIMEOUT_SECONDS} s`);
    expect(discordPrompt(request.id)!.content).toContain('⌛ Bash denied');
  });

  describe('on a GitHub issue', () => {
    const post = async (payload: unknown) => {
      const body = JSON.stringify(payload);
      const response = await fetch(`${pb.url}/webhooks/github`, { method: 'POST', headers: deliveryHeaders('issue_comment', body, SECRET), body });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const comment = (body: string, id: number, user = CODERTOCAT) => {
      const payload = exampleDelivery('issue_comment', 'created');
      payload.issue.number = 1;
      payload.comment = { ...payload.comment, id, body, user: { ...payload.comment.user, login: user.login, id: user.id } };
      payload.sender = payload.comment.user;
      return payload;
    };
    const botComments = () => github.comments(REPO, 1).filter((c) => c.user.login === 'patchbay-bot');

    it("asks in a comment that names the answers; a stranger's /approve is ignored and audited, a collaborator's runs it", async () => {
      scriptBash('echo github > github.txt');
      expect((await post(comment('@patchbay-bot write the github file', 7001))).status).toBe(202);
      const request = await onePending();
      const asked = () => botComments().find((c) => c.body.includes(`approval ${request.id}`));
      await waitUntil(() => asked() !== undefined, 'the request as a comment');
      expect(asked()!.body).toContain(`/approve ${request.id}`);
      expect(asked()!.body).toContain(`/deny ${request.id} [reason]`);

      expect(await post(comment('/approve', 7002, MALLORY))).toMatchObject({ status: 202, body: { trusted: false } });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await pending()).toHaveLength(1);
      expect(await audit()).toContainEqual(expect.objectContaining({ actor: `github:${MALLORY.id}`, decision: 'deny' }));

      expect((await post(comment('/approve', 7003))).status).toBe(202);
      await taskDone((await lastTask()).id);
      expect(readFileSync(join(work, 'github.txt'), 'utf8')).toBe('github\n');
      await waitUntil(() => asked()!.body.includes('✅ Bash allowed once by'), 'the request comment to say who allowed it');
      expect(asked()!.body).not.toContain('/approve');
      const decided = (await pb.get<{ approvals: ApprovalV1[] }>('/api/approvals?all=1&limit=1')).approvals[0];
      expect(decided).toMatchObject({ id: request.id, decidedBy: `github:${CODERTOCAT.id}`, decision: 'allow_once' });
    });
  });
});
