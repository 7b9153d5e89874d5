import { Logger } from '@nestjs/common';
import type { InboundMessageV1 } from '@patchbay/contracts';
import { RateLimitedError } from '@patchbay/plugin-sdk';
import { EngineStub } from '@patchbay/plugin-sdk/testing';
import { FAKE_DISCORD_BOT_ID, FAKE_DISCORD_TOKEN, FakeDiscord, FakeDiscordOptions } from '../../../test/fakes/discord/fake-discord-api';
import { DiscordPlugin } from './discord.plugin';

/**
 * What the Discord plugin hands the engine, and how it answers, with the real discord.js
 * client against the fake Discord (REST and gateway). The engine is a stub that records
 * what was submitted and answers `answer(message)`.
 */

jest.setTimeout(20_000);

const ADA = { id: '2100000000000000001', username: 'ada', global_name: 'Ada' };
const MALLORY = { id: '2100000000000000666', username: 'mallory', global_name: 'Mallory' };
const MENTION = `<@${FAKE_DISCORD_BOT_ID}>`;

let fake: FakeDiscord;
let plugin: DiscordPlugin | undefined;
let channelId: string;
let guildId: string;
let submitted: InboundMessageV1[];
let answer: (message: InboundMessageV1) => { reply?: string; buttons?: Array<{ id: string; label: string }>; queued?: true };

async function start(fakeOptions: FakeDiscordOptions = {}, prepare: (fake: FakeDiscord) => void = () => undefined): Promise<void> {
  fake = new FakeDiscord(fakeOptions);
  prepare(fake);
  const { apiUrl, gatewayUrl } = await fake.start();
  guildId = fake.addGuild('team').id;
  channelId = fake.addTextChannel(guildId, 'general').id;
  plugin = new DiscordPlugin({ token: FAKE_DISCORD_TOKEN, apiUrl, gatewayUrl, guildId });
  // Ada is paired (an operator); anyone else is unknown to Patchbay.
  await plugin.start(new EngineStub((message) => (submitted.push(message), answer(message)), { [ADA.id]: 'operator' }));
}

beforeEach(() => {
  submitted = [];
  answer = () => ({});
});

afterEach(async () => {
  await plugin?.stop();
  plugin = undefined;
  await fake.stop();
});

async function until(condition: () => boolean, what: string): Promise<void> {
  for (const deadline = Date.now() + 5_000; !condition();) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('DiscordPlugin inbound', () => {
  beforeEach(() => start());

  it('turns a mention in a channel into a thread of its own and submits from the thread', async () => {
    answer = () => ({ reply: 'On it.' });
    const message = fake.userSends({ channelId, author: ADA, content: `${MENTION} fix the   build\nplease` });
    await until(() => fake.botMessages(message.id).length > 0, 'the answer in the thread');
    const [thread] = fake.threadsOf(channelId);
    expect(thread).toMatchObject({ id: message.id, type: 11, name: 'fix the build' });
    expect(submitted).toEqual([
      {
        channel: 'discord',
        accountId: FAKE_DISCORD_BOT_ID,
        messageId: message.id,
        chatId: thread.id,
        sender: { id: ADA.id, name: 'Ada' },
        text: 'fix the build\nplease',
        receivedAt: new Date(message.createdAt).toISOString(),
      },
    ]);
    expect(fake.botMessages(thread.id).map((m) => m.content)).toEqual(['On it.']);
    expect(fake.botMessages(channelId)).toEqual([]);
    expect(fake.unexpected()).toEqual([]);
  });

  it('takes every message in its thread and in a DM; in a channel only mentions; never bots, itself least of all', async () => {
    answer = (m) => ({ reply: `got: ${m.text}` });
    const first = fake.userSends({ channelId, author: ADA, content: `${MENTION} start` });
    await until(() => fake.botMessages(first.id).length === 1, 'the first answer');
    fake.userSends({ channelId, author: ADA, content: 'just chatting, no mention' });
    fake.userSends({ channelId, author: { id: '2200000000000000002', username: 'otherbot', bot: true }, content: `${MENTION} hi from a bot` });
    fake.userSends({ channelId: first.id, author: ADA, content: 'and now this' });
    const dm = fake.dmWith(ADA);
    fake.userSends({ channelId: dm.id, author: ADA, content: 'privately' });
    await until(() => submitted.length === 3 && fake.botMessages(dm.id).length === 1, 'the thread and DM messages');
    expect(submitted.map((m) => [m.chatId, m.text])).toEqual([
      [first.id, 'start'],
      [first.id, 'and now this'],
      [dm.id, 'privately'],
    ]);
    // Its own answers came back over the gateway (MESSAGE_CREATE) and started nothing.
    expect(fake.botMessages(first.id).map((m) => m.content)).toEqual(['got: start', 'got: and now this']);
    expect(fake.threadsOf(channelId)).toHaveLength(1);
  });

  it('opens no thread for someone who may not start work: the message goes from the channel, answered there', async () => {
    answer = () => ({ reply: 'You are not paired with this Patchbay yet, so nothing was run. Pairing code: ABCD2345' });
    fake.userSends({ channelId, author: MALLORY, content: `${MENTION} run my script` });
    await until(() => fake.botMessages(channelId).length === 1, 'the pairing answer in the channel');
    expect(submitted.map((m) => [m.chatId, m.text])).toEqual([[channelId, 'run my script']]);
    expect(fake.threadsOf(channelId)).toEqual([]);
  });

  it('answers a typed /command after a mention in the channel itself, without a thread', async () => {
    answer = () => ({ reply: 'This chat has no session.' });
    fake.userSends({ channelId, author: ADA, content: `${MENTION} /status` });
    await until(() => fake.botMessages(channelId).length === 1, 'the answer');
    expect(submitted.map((m) => [m.chatId, m.text])).toEqual([[channelId, '/status']]);
    expect(fake.threadsOf(channelId)).toEqual([]);
  });

  it('says when Patchbay is busy and the message waits, and splits a long answer under 2000', async () => {
    answer = (m) => (m.text === 'wait' ? { queued: true } : { reply: `${'a'.repeat(1500)}\n\n${'b'.repeat(1500)}` });
    const dm = fake.dmWith(ADA);
    fake.userSends({ channelId: dm.id, author: ADA, content: 'wait' });
    fake.userSends({ channelId: dm.id, author: ADA, content: '/sessions' });
    await until(() => fake.botMessages(dm.id).length === 3, 'three answers');
    const texts = fake.botMessages(dm.id).map((m) => m.content);
    expect(texts[0]).toMatch(/busy or restarting/);
    expect(texts.slice(1).map((t) => t.trim())).toEqual(['a'.repeat(1500), 'b'.repeat(1500)]);
  });

  it('registers the slash commands in the guild; a run is submitted as the /verb text and answered through the interaction', async () => {
    expect(fake.commands(guildId).map((c) => c.name)).toEqual(['help', 'status', 'new', 'stop', 'sessions', 'attach', 'detach', 'agent', 'tasks', 'approvals', 'approve', 'deny']);
    expect(fake.commands()).toEqual([]);
    answer = () => ({ reply: 'Attached to s-42.' });
    const run = fake.userRunsCommand({ channelId, user: ADA, name: 'attach', options: { session: 's-42', delivery: 'final' } });
    await until(() => fake.interaction(run.id)?.original?.content === 'Attached to s-42.', 'the interaction answer');
    expect(submitted).toEqual([expect.objectContaining({ messageId: run.id, chatId: channelId, text: '/attach s-42 final', sender: { id: ADA.id, name: 'Ada' } })]);
    expect(fake.interaction(run.id)).toMatchObject({ answeredWith: 5, original: { flags: 0 } });

    fake.userRunsCommand({ channelId, user: ADA, name: 'stop', options: { kill: true } });
    await until(() => submitted.length === 2, 'the /stop kill');
    expect(submitted[1].text).toBe('/stop kill');
    expect(fake.unexpected()).toEqual([]);
  });

  it('acts on a pressed Stop button as /stop from its chat, answering only the presser', async () => {
    answer = () => ({ reply: 'Stopping the run.' });
    const { messageId } = await plugin!.send(channelId, { text: 'working…', buttons: [{ id: 'stop:s-42', label: 'Stop' }] });
    expect(fake.botMessages(channelId)[0].components).toEqual([{ type: 1, components: [{ type: 2, style: 4, label: 'Stop', custom_id: 'stop:s-42' }] }]);
    const press = fake.userPresses({ channelId, messageId, user: ADA, customId: 'stop:s-42' });
    await until(() => fake.interaction(press.id)?.original?.content === 'Stopping the run.', 'the answer');
    expect(submitted).toEqual([expect.objectContaining({ messageId: press.id, chatId: channelId, text: '/stop' })]);
    expect(fake.interaction(press.id)!.original!.flags & 64).toBe(64);
    // The renderer's edit without buttons takes the Stop button away.
    await plugin!.edit(channelId, messageId, { text: 'stopped' });
    expect(fake.botMessages(channelId)[0]).toMatchObject({ content: 'stopped', components: [] });
  });

  it('shows the buttons of an answer (approve a pairing) and acts on one as the command it carries', async () => {
    answer = (m) =>
      m.text === '/pair'
        ? { reply: 'ABCD2345 telegram:999 (Mallory) until 12:00 UTC', buttons: [{ id: 'pair:ABCD2345', label: 'Approve Mallory' }] }
        : { reply: 'Mallory (telegram:999) is now operator.' };
    const dm = fake.dmWith(ADA);
    fake.userSends({ channelId: dm.id, author: ADA, content: '/pair' });
    await until(() => fake.botMessages(dm.id).length === 1, 'the /pair answer');
    const [listed] = fake.botMessages(dm.id);
    expect(listed.components).toEqual([{ type: 1, components: [{ type: 2, style: 2, label: 'Approve Mallory', custom_id: 'pair:ABCD2345' }] }]);
    const press = fake.userPresses({ channelId: dm.id, messageId: listed.id, user: ADA, customId: 'pair:ABCD2345' });
    await until(() => fake.interaction(press.id)?.original?.content === 'Mallory (telegram:999) is now operator.', 'the approval answer');
    expect(submitted.map((m) => m.text)).toEqual(['/pair', '/pair approve ABCD2345']);
  });
});

describe('DiscordPlugin setup', () => {
  it('falls back to typed commands when it may not register slash commands (403 Missing Access)', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      await start({ commandsForbidden: true }, (f) => f.expectError({ code: 50001 }));
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/slash commands not registered in guild .*Missing Access.*typed commands \(\/stop\) still work/));
    } finally {
      warn.mockRestore();
    }
    answer = () => ({ reply: 'Stopping.' });
    fake.userSends({ channelId, author: ADA, content: `${MENTION} /stop` });
    await until(() => fake.botMessages(channelId).length === 1, 'the answer');
    expect(submitted.map((m) => m.text)).toEqual(['/stop']);
    expect(fake.unexpected()).toEqual([]);
  });

  it('fails to start, saying why, when the application may not use the Message Content intent (4014)', async () => {
    await expect(start({ messageContentIntent: false })).rejects.toThrow('Used disallowed intents');
    expect(fake.gateway.closes).toContainEqual({ code: 4014, reason: 'Disallowed intent(s).', by: 'server' });
  });

  it('connects to DISCORD_GATEWAY_URL rather than the one GET /gateway/bot names', async () => {
    await start({ advertisedGatewayUrl: 'ws://127.0.0.1:9/nowhere' });
    expect(fake.gateway.connected).toBe(1);
  });

  it('honours the X-RateLimit headers: a call into an empty bucket fails at once with RateLimitedError', async () => {
    await start();
    for (let i = 0; i < 5; i++) await plugin!.send(channelId, { text: `message ${i}` });
    const refused = await plugin!.send(channelId, { text: 'one too many' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect((refused as RateLimitedError).retryAfterMs).toBeGreaterThan(4_000);
    expect(fake.callsTo('POST /channels/:id/messages')).toHaveLength(5);
    // Another channel has a bucket of its own.
    const other = fake.addTextChannel(guildId, 'other');
    await expect(plugin!.send(other.id, { text: 'fine' })).resolves.toEqual({ messageId: expect.any(String) });

    fake.rateLimitNext(1.5, { channelId: other.id });
    await expect(plugin!.send(other.id, { text: 'limited' })).rejects.toMatchObject({ name: 'RateLimitedError', retryAfterMs: 1_500 });
    expect(fake.unexpected()).toEqual([]);
  });
});
