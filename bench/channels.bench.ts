import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { maxPerWindow } from '../libs/plugin-sdk/src/testing/memory-transport';
import { FAKE_DISCORD_BOT_ID, FAKE_DISCORD_TOKEN, FakeDiscord } from '../test/fakes/discord/fake-discord-api';
import { FAKE_BOT_TOKEN, FakeTelegramApi } from '../test/fakes/telegram/fake-telegram-api';
import { LONG_ANSWER_AGENT, removeScratch, scratchDir } from '../test/support/patchbay-processes';
import { LivePatchbay } from './live-patchbay';
import { percentile } from './stats';

const CHATS = 10;
/** Sections of the long-answer agent: about 50 KB of markdown with as many code blocks. */
const SECTIONS = 60;
const OWNER = { id: 111, first_name: 'Ada' };
const DISCORD_OWNER = { id: '2100000000000000001', username: 'ada', global_name: 'Ada' };
/** A chat is done once the answer's last words show and no call went to it for this long. */
const QUIET_MS = 3_000;

/** What the bench needs of a platform's fake: chats, a user who speaks, and the calls made. */
export interface BenchPlatform {
  name: string;
  /** patchbay.yaml lines for this channel, and its users under `access.owners`. */
  yaml: { channel: string; owners: string[] };
  /** The chats, by kind: a table row each. */
  kinds: Array<{ kind: string; chats: string[] }>;
  say(chat: string, text: string): void;
  /** Texts the bot's messages in `chat` show now. */
  shown(chat: string): string[];
  /** Sends and edits to `chat` (after `since`): when they arrived, and the HTTP status. */
  calls(chat: string, since: number): Array<{ at: number; status: number }>;
  stop(): Promise<void>;
}

export interface ChannelBenchRow {
  platform: string;
  chats: number;
  outputKb: number;
  calls: number;
  peakPerSecondPerChat: number;
  rateLimited: number;
  finalP50: number;
  finalMax: number;
}

/**
 * One session, a ~50 KB answer with code blocks, followed by 10 chats of each kind on each
 * platform at once (the first starts it, the others `/attach`): what reaching all of them
 * costs in API calls, how hard any one chat is hit, whether the platform ever said 429, and
 * how long after the agent's last byte each chat shows the final answer.
 */
export async function benchChannels(): Promise<ChannelBenchRow[]> {
  const platforms = [await telegramPlatform(), await discordPlatform()];
  // Where the agent waits for the go and notes its last byte.
  const dir = scratchDir('bench-channels-agent');
  const gate = join(dir, 'go');
  const doneFile = join(dir, 'last-byte');
  let live: LivePatchbay | null = null;
  try {
    live = await LivePatchbay.start({ name: 'bench-channels', yaml: channelsYaml(platforms) });
    const [first, ...followers] = platforms.flatMap((platform) => platform.kinds.flatMap(({ chats }) => chats.map((chat) => ({ platform, chat }))));
    first.platform.say(first.chat, 'write the long answer');
    const started = () => first.platform.shown(first.chat).some((t) => t.includes('Waiting for the go.'));
    await waitFor(started, 'the run to start', 60_000).catch((error: Error) => {
      throw new Error(`${error.message}; the chat shows: ${JSON.stringify(first.platform.shown(first.chat))}`);
    });
    const sessionId = await onlySession(live);
    for (const { platform, chat } of followers) platform.say(chat, `/attach ${sessionId}`);
    await waitFor(() => followers.every(({ platform, chat }) => platform.shown(chat).length > 0), 'every chat to attach', 60_000);

    const start = Date.now();
    writeFileSync(gate, '');
    await waitFor(() => existsSync(doneFile), "the agent's last byte", 120_000);
    const { lastByteAt, bytes } = JSON.parse(readFileSync(doneFile, 'utf8')) as { lastByteAt: number; bytes: number };
    const rows: ChannelBenchRow[] = [];
    for (const platform of platforms) {
      for (const { kind, chats } of platform.kinds) rows.push(await settledRow(platform, kind, chats, start, { lastByteAt, bytes }));
    }
    return rows;
  } catch (error) {
    throw new Error(`channels: ${(error as Error).message}\n${live?.logs() ?? ''}`);
  } finally {
    await live?.stop();
    for (const platform of platforms) await platform.stop();
    removeScratch(dir);
  }

  function channelsYaml(list: BenchPlatform[]): string {
    const env = { LONG_ANSWER_SECTIONS: String(SECTIONS), LONG_ANSWER_WAIT_FOR: gate, LONG_ANSWER_DONE_FILE: doneFile };
    return [
      'defaultAgent: long',
      'agents:',
      '  long:',
      `    command: ${JSON.stringify(process.execPath)}`,
      `    args: [${JSON.stringify(LONG_ANSWER_AGENT)}]`,
      `    env: ${JSON.stringify(env)}`,
      'access:',
      `  owners: ${JSON.stringify(list.flatMap((p) => p.yaml.owners))}`,
      ...list.map((p) => p.yaml.channel),
    ].join('\n');
  }
}

/** Waits until every chat of a kind shows the final answer and went quiet; then what it took. */
async function settledRow(platform: BenchPlatform, kind: string, chats: string[], since: number, agent: { lastByteAt: number; bytes: number }): Promise<ChannelBenchRow> {
  const settled = () => chats.every((chat) => platform.shown(chat).some((t) => t.includes('All steps done.')) && Date.now() - lastCall(platform.calls(chat, since)) > QUIET_MS);
  await waitFor(settled, `every ${platform.name} ${kind} to show the final answer`, 600_000);
  const perChat = chats.map((chat) => platform.calls(chat, since));
  const finals = perChat.map((calls) => lastCall(calls.filter((c) => c.status === 200)) - agent.lastByteAt);
  return {
    platform: `${platform.name} ${kind}`,
    chats: chats.length,
    outputKb: Math.round(agent.bytes / 1000),
    calls: perChat.reduce((n, calls) => n + calls.length, 0),
    peakPerSecondPerChat: Math.max(
      ...perChat.map((calls) =>
        maxPerWindow(
          calls.map((c) => c.at),
          1_000,
        ),
      ),
    ),
    rateLimited: perChat.reduce((n, calls) => n + calls.filter((c) => c.status === 429).length, 0),
    finalP50: percentile(finals, 50),
    finalMax: Math.max(...finals),
  };
}

/** Telegram: supergroups (Ada writes in each) and private chats (each with a user of its own). */
async function telegramPlatform(): Promise<BenchPlatform> {
  const fake = new FakeTelegramApi();
  const apiRoot = await fake.start();
  const groups = Array.from({ length: CHATS }, (_, i) => -1001000 - i);
  for (const id of groups) fake.addChat({ id, type: 'supergroup', title: `bench ${id}` });
  // A private chat's id is its user's.
  const users = Array.from({ length: CHATS }, (_, i) => ({ id: 2001 + i, first_name: `User ${i}` }));
  for (const user of users) fake.addChat({ id: user.id, type: 'private', first_name: user.first_name });
  return {
    name: 'Telegram',
    yaml: {
      channel: `telegram:\n  token: ${JSON.stringify(FAKE_BOT_TOKEN)}\n  apiRoot: ${JSON.stringify(apiRoot)}`,
      owners: [OWNER, ...users].map((u) => `telegram:${u.id}`),
    },
    kinds: [
      { kind: 'groups', chats: groups.map(String) },
      { kind: 'private chats', chats: users.map((u) => String(u.id)) },
    ],
    say: (chat, text) => void fake.userSends({ chatId: Number(chat), from: users.find((u) => String(u.id) === chat) ?? OWNER, text }),
    shown: (chat) => fake.botMessages(Number(chat)).map((m) => m.text),
    calls: (chat, since) =>
      fake.calls
        .filter((c) => ['sendMessage', 'editMessageText'].includes(c.method) && String(c.params.chat_id) === chat && c.at >= since && c.finishedAt !== undefined)
        .map((c) => ({ at: c.at, status: c.status })),
    stop: () => fake.stop(),
  };
}

/** Discord: text channels of one guild; a mention with a command is answered in the channel. */
async function discordPlatform(): Promise<BenchPlatform> {
  const fake = new FakeDiscord();
  const { apiUrl, gatewayUrl } = await fake.start();
  const guild = fake.addGuild('bench');
  const chats = Array.from({ length: CHATS }, (_, i) => fake.addTextChannel(guild.id, `bench-${i}`).id);
  const messageRoutes = new Set(['POST /channels/:id/messages', 'PATCH /channels/:id/messages/:id']);
  return {
    name: 'Discord',
    yaml: {
      channel: `discord:\n  token: ${JSON.stringify(FAKE_DISCORD_TOKEN)}\n  apiUrl: ${JSON.stringify(apiUrl)}\n  gatewayUrl: ${JSON.stringify(gatewayUrl)}`,
      owners: [`discord:${DISCORD_OWNER.id}`],
    },
    kinds: [{ kind: 'channels', chats }],
    say: (chat, text) => void fake.userSends({ channelId: chat, author: DISCORD_OWNER, content: `<@${FAKE_DISCORD_BOT_ID}> ${text}` }),
    shown: (chat) => fake.botMessages(chat).map((m) => m.content),
    calls: (chat, since) => fake.calls.filter((c) => messageRoutes.has(c.route ?? '') && c.channelId === chat && c.at >= since).map((c) => ({ at: c.at, status: c.status })),
    stop: () => fake.stop(),
  };
}

function lastCall(calls: Array<{ at: number }>): number {
  return calls.reduce((latest, c) => Math.max(latest, c.at), 0);
}

async function onlySession(live: LivePatchbay): Promise<string> {
  const response = await fetch(`${live.baseUrl}/api/sessions`);
  const { sessions } = (await response.json()) as { sessions: Array<{ id: string }> };
  if (sessions.length !== 1) throw new Error(`expected one session, found ${sessions.length}`);
  return sessions[0].id;
}

async function waitFor(condition: () => boolean, what: string, timeoutMs: number): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition(); await new Promise((r) => setTimeout(r, 100))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}
