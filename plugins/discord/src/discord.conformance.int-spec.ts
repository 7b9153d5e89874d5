import { channelConformance } from '@patchbay/plugin-sdk/testing';
import { FAKE_DISCORD_TOKEN, FakeDiscord } from '../../../test/fakes/discord/fake-discord-api';
import { DiscordPlugin } from './discord.plugin';

/**
 * The shared channel suite, with the real discord.js client against the fake Discord. The
 * fake's rate-limit windows and the plugin's pacing run on the kit's virtual clock, the
 * renderer's: Discord's 5 per 5 s per channel and the forced 429s are checked in its time.
 */
channelConformance('Discord (discord.js, fake Discord)', async ({ clock }) => {
  const fake = new FakeDiscord({ clock: () => clock.now() });
  const { apiUrl, gatewayUrl } = await fake.start();
  const channel = fake.addTextChannel(fake.addGuild('conformance').id, 'kit');
  const plugin = new DiscordPlugin({ token: FAKE_DISCORD_TOKEN, apiUrl, gatewayUrl, clock });
  return {
    plugin,
    chatId: channel.id,
    // Discord shows content as given (it renders the markdown itself).
    messages: async () => fake.botMessages(channel.id).map((m) => ({ id: m.id, text: m.content })),
    rateLimitNext: (ms) => void fake.rateLimitNext(ms / 1000, { channelId: channel.id }),
    teardown: async () => {
      expect(fake.unexpected()).toEqual([]);
      await plugin.stop();
      await fake.stop();
    },
  };
});
