import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { ApprovalV1, TaskV1 } from '@patchbay/contracts';
import { FakeAnthropicApi, RecordedRequest, ToolResultBlock } from '../test/fakes/anthropic/fake-anthropic-api';
import { FAKE_BOT_TOKEN, FakeTelegramApi, InlineKeyboardMarkup, RecordedCall } from '../test/fakes/telegram/fake-telegram-api';
import { claudeAgentProfile, envWithoutClaude } from '../test/support/claude-agent';
import { createTestDatabase } from '../test/support/databases';
import { removeScratch, scratchDir } from '../test/support/patchbay-processes';
import { waitUntil } from '../test/support/patchbay-instance';
import { onCleanup } from './cleanup';
import { LivePatchbay } from './live-patchbay';
import { percentile } from './stats';

export const APPROVAL_SAMPLES = 20;
/** Round trips before the counted ones: the first pays for first-use paths (claude's caches, prepared queries). */
const WARMUP = 1;
const WAIT_MS = 60_000;

/** What the bench times, each from one moment to another, as the table's rows. */
export const INTERVALS = {
  shownAfterToolUse: { from: 'the fake model serves the tool_use', to: 'sendMessage with the buttons reaches the fake Bot API' },
  shownAfterAsk: { from: "the engine stores the runner's approval.ask (requestedAt)", to: 'the same sendMessage' },
  decidedAfterPress: { from: "the fake hands the button's callback_query to getUpdates", to: 'the engine decides (decidedAt)' },
  commandAfterPress: { from: 'the same callback_query', to: 'the Bash command runs (its own timestamp)' },
  resultAfterPress: { from: 'the same callback_query', to: "claude's tool_result reaches the fake model" },
} as const;

export type Interval = keyof typeof INTERVALS;
type Sample = Record<Interval, number>;

export const intervals = () => Object.keys(INTERVALS) as Interval[];

export interface ApprovalsResult {
  mode: string;
  percentiles: Record<Interval, { p50: number; p95: number }>;
  /** Calls the fake Bot API refused (429s, bad requests): none expected. */
  refusedCalls: number;
}

/**
 * Tool-use approvals in a chat, through real Patchbay processes and the real claude CLI
 * against the fake model: each round trip is a new private chat (so no earlier round's
 * sends hold its rate budget) whose message has the model call Bash once; the request
 * shows in the chat with buttons, the bench presses Allow once, the command runs.
 */
export async function benchApprovals(mode: 'all-in-one' | 'distributed', natsUrl: string | null): Promise<ApprovalsResult> {
  const model = new FakeAnthropicApi();
  const telegram = new FakeTelegramApi();
  const dir = scratchDir('bench-approvals-agent');
  const db = mode === 'distributed' ? await createTestDatabase('pb_bench') : null;
  const release = onCleanup(async () => {
    await Promise.all([model.stop(), telegram.stop()]);
    removeScratch(dir);
    await db?.drop();
  });
  try {
    await model.start();
    const apiRoot = await telegram.start();
    const { profile, work } = claudeAgentProfile(dir, model.baseUrl);
    const live = await LivePatchbay.start({
      name: 'bench-approvals',
      yaml: stringify({
        defaultAgent: 'claude',
        agents: { claude: profile },
        access: { owners: ['telegram:*'] },
        telegram: { token: FAKE_BOT_TOKEN, apiRoot },
      }),
      env: envWithoutClaude(),
      roles: mode === 'distributed' ? [['engine'], ['runner'], ['gateway']] : [[]],
      ...(db ? { natsUrl: natsUrl!, databaseUrl: db.url } : {}),
    });
    try {
      const bench = new ApprovalRoundTrips(live, model, telegram, work);
      const samples: Sample[] = [];
      for (let i = 0; i < WARMUP + APPROVAL_SAMPLES; i++) {
        const sample = await bench.roundTrip(i);
        if (i >= WARMUP) samples.push(sample);
      }
      const percentiles = (key: Interval) => ({
        p50: percentile(
          samples.map((s) => s[key]),
          50,
        ),
        p95: percentile(
          samples.map((s) => s[key]),
          95,
        ),
      });
      return {
        mode,
        percentiles: Object.fromEntries(intervals().map((key) => [key, percentiles(key)])) as ApprovalsResult['percentiles'],
        refusedCalls: telegram.unexpected().length,
      };
    } finally {
      await live.stop();
    }
  } finally {
    await release();
  }
}

/** One Patchbay, its fakes and the agent's work folder; one measured approval per call. */
class ApprovalRoundTrips {
  constructor(
    private readonly live: LivePatchbay,
    private readonly model: FakeAnthropicApi,
    private readonly telegram: FakeTelegramApi,
    private readonly work: string,
  ) {}

  async roundTrip(i: number): Promise<Sample> {
    // Telegram private chats have the user's id; each round its own user, chat and session.
    const user = { id: 700_000 + i, first_name: `Bench${i}` };
    const toolUseId = `toolu_bench_${i}`;
    const marker = join(this.work, `started-${i}`);
    // The command notes when it ran (ms since the epoch, the clock the fakes use).
    this.model.enqueue({ toolUse: { id: toolUseId, name: 'Bash', input: { command: `date +%s%3N > ${marker}`, description: 'Note the time' } } }, { text: 'done' });
    const since = this.telegram.calls.length;
    this.telegram.userSends({ chatId: user.id, from: user, text: `bench approval ${i}` });

    const shown = await this.telegram.waitForCall((c) => c.seq > since && c.chatId === user.id && c.method === 'sendMessage' && c.ok === true && allowOnce(c) !== undefined, {
      timeoutMs: WAIT_MS,
    });
    const toolUseAt = this.toolUseReply(toolUseId).receivedAt;
    const approval = (await this.live.get<{ approvals: ApprovalV1[] }>('/api/approvals')).approvals.find((a) => a.toolUseId === toolUseId);
    if (!approval) throw new Error(`no pending approval for ${toolUseId} while its buttons show in chat ${user.id}\n${this.live.logs()}`);

    const messageId = (shown.result as { message_id: number }).message_id;
    const { update_id } = this.telegram.userPresses({ chatId: user.id, messageId, from: user, data: allowOnce(shown)! });
    const delivered = await this.telegram.waitForCall(
      (c) => c.method === 'getUpdates' && c.ok === true && (c.result as Array<{ update_id: number }>).some((u) => u.update_id === update_id),
      {
        timeoutMs: WAIT_MS,
      },
    );

    await waitUntil(() => existsSync(marker) && readFileSync(marker, 'utf8').endsWith('\n'), `the command of ${toolUseId} to run\n${this.live.logs()}`, WAIT_MS);
    const ranAt = Number(readFileSync(marker, 'utf8'));
    await waitUntil(() => this.toolResultRequest(toolUseId) !== undefined, `the tool_result of ${toolUseId} at the model`, WAIT_MS);
    await this.taskDone(approval.taskId);
    const decided = (await this.live.get<{ approvals: ApprovalV1[] }>(`/api/approvals?all=1&session=${approval.sessionId}`)).approvals.find((a) => a.id === approval.id);
    if (!decided?.decidedAt) throw new Error(`approval ${approval.id} ran its tool but is not decided: ${JSON.stringify(decided)}`);
    return {
      shownAfterToolUse: shown.at - toolUseAt,
      shownAfterAsk: shown.at - Date.parse(approval.requestedAt),
      decidedAfterPress: Date.parse(decided.decidedAt) - delivered.finishedAt!,
      commandAfterPress: ranAt - delivered.finishedAt!,
      resultAfterPress: this.toolResultRequest(toolUseId)!.receivedAt - delivered.finishedAt!,
    };
  }

  /** The model request answered with this tool use. */
  private toolUseReply(toolUseId: string): RecordedRequest {
    const request = this.model.mainRequests().find((r) => r.reply && 'toolUse' in r.reply && [r.reply.toolUse].flat().some((use) => use.id === toolUseId));
    if (!request) throw new Error(`the fake model never served ${toolUseId}`);
    return request;
  }

  /** The model request that brought this tool use's result, once it came. */
  private toolResultRequest(toolUseId: string): RecordedRequest | undefined {
    return this.model.mainRequests().find((r) => {
      const last = (r.body as { messages: Array<{ role: string; content: unknown }> }).messages.filter((m) => m.role === 'user').at(-1);
      return Array.isArray(last?.content) && (last.content as ToolResultBlock[]).some((b) => b.type === 'tool_result' && b.tool_use_id === toolUseId);
    });
  }

  private async taskDone(taskId: string | null): Promise<void> {
    if (!taskId) throw new Error('an approval without a task: nothing to wait for');
    const status = async () => (await this.live.get<TaskV1>(`/api/tasks/${taskId}`)).status;
    await waitUntil(async () => ['done', 'failed'].includes(await status()), `task ${taskId} to end\n${this.live.logs()}`, WAIT_MS);
    if ((await status()) !== 'done') throw new Error(`task ${taskId} failed\n${this.live.logs()}`);
  }
}

/** The callback_data of the Allow once button a bot call sent (an approval request's), if any. */
function allowOnce(call: RecordedCall): string | undefined {
  const markup = call.params.reply_markup as Partial<InlineKeyboardMarkup> | undefined;
  return (markup?.inline_keyboard ?? []).flat().find((b) => b.text === 'Allow once')?.callback_data;
}
