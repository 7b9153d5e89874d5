import type { PatchbayConfig } from '@patchbay/config';
import type { ChannelPlugin } from '@patchbay/plugin-sdk';
import { GitHubPlugin } from '@patchbay/plugin-github';
import { DiscordPlugin } from '@patchbay/plugin-discord';
import { TelegramPlugin } from '@patchbay/plugin-telegram';

/**
 * The register step of each channel plugin: given the validated config, the plugin to run,
 * or nothing when its section leaves it off. Adding a channel is one line here.
 */
export const CHANNEL_REGISTRY: ReadonlyArray<(config: PatchbayConfig) => ChannelPlugin | undefined> = [
  ({ telegram }) => (telegram.token ? new TelegramPlugin({ ...telegram, token: telegram.token }) : undefined),
  ({ discord }) => (discord.token ? new DiscordPlugin({ ...discord, token: discord.token }) : undefined),
  ({ github }) => (github.token || github.appId ? new GitHubPlugin(github) : undefined),
];
