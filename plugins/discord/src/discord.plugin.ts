import { Logger } from '@nestjs/common';
import { once } from 'node:events';
import {
  APIMessage,
  ButtonInteraction,
  ChannelType,
  ChatInputCommandInteraction,
  Client,
  DefaultRestOptions,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  Interaction,
  Message,
  MessageFlags,
  Partials,
  RESTPostAPIChannelMessageJSONBody,
  Routes,
  SimpleShardingStrategy,
  ThreadAutoArchiveDuration,
  User,
  WebSocketOptions,
} from 'discord.js';
import { InboundMessageV1, ROLE_ALLOWS } from '@patchbay/contracts';
import { ChannelCapabilities, chatPaced, ChannelContext, ChannelPlugin, commandOfButton, OutboundMessage, RendererClock, splitMessage, systemClock } from '@patchbay/plugin-sdk';
import { buttonRows, commandText, SLASH_COMMANDS } from './discord-commands';
import { ChannelRateLimits } from './discord-rate-limits';
import { threadName, withoutMention } from './discord-text';

export interface DiscordOptions {
  token: string;
  /** REST API base (DISCORD_API_URL), e.g. https://discord.com/api; discord.js's default otherwise. */
  apiUrl?: string;
  /** Gateway websocket (DISCORD_GATEWAY_URL); by default the one GET /gateway/bot names. */
  gatewayUrl?: string;
  /** Register the slash commands in this guild (they show at once); globally otherwise. */
  guildId?: string;
  /** A mention in a channel starts a thread, and the conversation lives there (default true). */
  threadPerSession?: boolean;
  /** The clock the renderer paces on (specs: a VirtualClock); real time by default. */
  clock?: RendererClock;
}

const BUSY = 'Got it. Patchbay is busy or restarting; your message runs as soon as it is back.';
/** Codes that mean the bot may not do that here (50001 Missing Access, 50013 Missing Permissions). */
const NOT_ALLOWED = new Set([50001, 50013]);

/**
 * Discord through discord.js: the gateway for messages and interactions, REST for the rest.
 * In a guild channel the bot answers when mentioned, starting a thread from that message so
 * each conversation has its own chat; in its threads and in DMs every message counts. The
 * common verbs are slash commands (typed `/verbs` work too), and a Stop button acts as /stop.
 * Discord renders markdown itself, so output goes as is. Message sends and edits are paced
 * by ChannelRateLimits on the renderer's clock.
 */
export class DiscordPlugin implements ChannelPlugin {
  readonly id = 'discord';
  readonly capabilities: ChannelCapabilities = {
    maxMessageLength: 2000,
    edit: true,
    threads: true,
    buttons: true,
    formatting: 'markdown',
    // Discord allows 5 messages (and 5 edits) per 5 s in a channel; 4 calls of either per
    // 5 s leaves room for the plugin's own replies in the same channel.
    rateBudget: { perChat: 4, windowMs: 5_000 },
    // Discord's global limit is 50 requests a second per bot; the rest for replies and interactions.
    accountBudget: { perWindow: 40, windowMs: 1_000 },
  };
  private readonly logger = new Logger(DiscordPlugin.name);
  private readonly client: Client;
  private readonly clock: RendererClock;
  /** Events being handled; stop() lets them finish. */
  private readonly handling = new Set<Promise<void>>();

  constructor(private readonly options: DiscordOptions) {
    this.clock = options.clock ?? systemClock;
    const limits = new ChannelRateLimits(this.clock, DefaultRestOptions.makeRequest);
    this.client = new Client({
      intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.DirectMessages, GatewayIntentBits.MessageContent],
      // DM channels are not cached ahead: without this discord.js drops their messages.
      partials: [Partials.Channel],
      rest: { ...(options.apiUrl ? { api: options.apiUrl } : {}), makeRequest: limits.makeRequest },
      ws: options.gatewayUrl ? pinnedGateway(options.gatewayUrl) : {},
    });
    // REST works before (and without) the gateway: the renderer may send before it is ready.
    this.client.rest.setToken(options.token);
  }

  async start(context: ChannelContext): Promise<void> {
    this.client.on(Events.MessageCreate, (message) => this.handle(`message ${message.id}`, () => this.onMessage(message, context)));
    this.client.on(Events.InteractionCreate, (interaction) => this.handle(`interaction ${interaction.id}`, () => this.onInteraction(interaction, context)));
    this.client.on(Events.Error, (error) => this.logger.error(`discord.js: ${error.message}`));
    const ready = once(this.client, Events.ClientReady);
    await this.client.login(this.options.token);
    await ready;
    this.logger.log(`Discord bot ${this.client.user!.tag} (${this.client.guilds.cache.size} guilds)`);
    await this.registerCommands();
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.handling]);
    await this.client.destroy();
  }

  async send(chatId: string, message: OutboundMessage): Promise<{ messageId: string }> {
    const sent = (await this.client.rest.post(Routes.channelMessages(chatId), { body: this.body(message) })) as APIMessage;
    return { messageId: sent.id };
  }

  async edit(chatId: string, messageId: string, message: OutboundMessage): Promise<void> {
    await this.client.rest.patch(Routes.channelMessage(chatId, messageId), { body: this.body(message) });
  }

  /**
   * A message as Discord takes it. Straight REST, not channel objects: no channel fetch
   * first, and a chat works before its guild is cached. Without buttons the components go,
   * so a Stop button lives only while its run does; agent output never pings anyone.
   */
  private body(message: OutboundMessage): RESTPostAPIChannelMessageJSONBody {
    return { content: message.text, components: buttonRows(message.buttons), allowed_mentions: { parse: [] } };
  }

  /** The slash commands, in the configured guild or globally; without the right, typed commands still work. */
  private async registerCommands(): Promise<void> {
    const where = this.options.guildId ? `guild ${this.options.guildId}` : 'all guilds';
    try {
      const commands = this.client.application!.commands;
      await (this.options.guildId ? commands.set(SLASH_COMMANDS, this.options.guildId) : commands.set(SLASH_COMMANDS));
      this.logger.log(`Discord slash commands registered in ${where}`);
    } catch (error) {
      if (!(error instanceof DiscordAPIError && (error.status === 403 || NOT_ALLOWED.has(Number(error.code))))) throw error;
      this.logger.warn(
        `Discord slash commands not registered in ${where} (${error.message}): invite the bot with the applications.commands scope; typed commands (/stop) still work`,
      );
    }
  }

  private async onMessage(message: Message, context: ChannelContext): Promise<void> {
    // Bots (this one above all: no loops), webhooks and system notices are not people.
    if (message.author.bot || message.webhookId || message.system) return;
    const botId = this.client.user!.id;
    const channel = message.channel;
    const mentioned = message.mentions.users.has(botId);
    let chatId = message.channelId;
    let text = message.content;
    if (channel.isDMBased()) {
      text = text.trim();
    } else if (channel.isThread()) {
      // In its own threads (its sessions) the bot reads everything; elsewhere only a mention.
      if (channel.ownerId !== botId && !mentioned) return;
      text = withoutMention(text, botId) || '/help';
    } else if (channel.type === ChannelType.GuildText || channel.type === ChannelType.GuildAnnouncement) {
      if (!mentioned) return;
      text = withoutMention(text, botId) || '/help';
      if (this.options.threadPerSession !== false && !text.startsWith('/') && (await this.mayStart(message.author.id, context))) {
        chatId = await this.threadFor(message, text);
      }
    } else {
      return;
    }
    if (!text) return;
    const answer = await context.submit(this.inbound(message.id, chatId, message.author, text, message.createdAt));
    await this.reply(chatId, answer);
  }

  /**
   * Whether the sender may start work, so a thread is worth opening: strangers (who get a
   * pairing code) and viewers do not get one. Unknown when the engine is away: the message
   * is queued for it, so the thread is opened.
   */
  private async mayStart(senderId: string, context: ChannelContext): Promise<boolean> {
    const role = await context.roleOf(senderId).catch(() => 'operator' as const);
    return role !== null && ROLE_ALLOWS[role].has('prompt');
  }

  /** The thread for the conversation a message starts (its id is the message's). */
  private async threadFor(message: Message, text: string): Promise<string> {
    try {
      return (await message.startThread({ name: threadName(text), autoArchiveDuration: ThreadAutoArchiveDuration.OneWeek })).id;
    } catch (error) {
      if (!(error instanceof DiscordAPIError)) throw error;
      // Started before: the same message again (a redelivery); the engine dedups it.
      if (error.code === 160004) return message.id;
      if (!NOT_ALLOWED.has(Number(error.code))) throw error;
      this.logger.warn(`Discord: no thread in channel ${message.channelId} (${error.message}); answering in the channel`);
      return message.channelId;
    }
  }

  private async onInteraction(interaction: Interaction, context: ChannelContext): Promise<void> {
    if (interaction.isChatInputCommand()) {
      await this.answer(interaction, commandText(interaction.commandName, interaction.options.data), context);
    } else if (interaction.isButton()) {
      const command = commandOfButton(interaction.customId);
      if (!command) await interaction.reply({ content: 'This button no longer works.', flags: MessageFlags.Ephemeral });
      else await this.answer(interaction, command, context);
    }
  }

  /**
   * Submits what an interaction stands for from its channel and answers it through the
   * interaction: deferred first (Discord waits 3 s, the engine may take longer); a button's
   * answer only its presser sees.
   */
  private async answer(interaction: ChatInputCommandInteraction | ButtonInteraction, text: string, context: ChannelContext): Promise<void> {
    const flags = interaction.isButton() ? MessageFlags.Ephemeral : undefined;
    await interaction.deferReply({ flags });
    const answer = await context.submit(this.inbound(interaction.id, interaction.channelId, interaction.user, text, interaction.createdAt));
    const [first, ...more] = splitMessage(answerText(answer) ?? 'Done.', this.capabilities.maxMessageLength);
    // Buttons (approve a pairing) go under the last part.
    const components = (last: boolean) => (last ? buttonRows(answer.buttons) : []);
    await interaction.editReply({ content: first, components: components(more.length === 0) });
    for (const [i, part] of more.entries()) await interaction.followUp({ content: part, flags, components: components(i === more.length - 1) });
  }

  /** The engine's answer to a message, in the chat, waiting out 429s. */
  private async reply(chatId: string, answer: Answer): Promise<void> {
    const text = answerText(answer);
    if (!text) return;
    const parts = splitMessage(text, this.capabilities.maxMessageLength);
    for (const [i, part] of parts.entries()) {
      const buttons = i === parts.length - 1 ? answer.buttons : undefined;
      await chatPaced(this, chatId, this.capabilities, () => this.send(chatId, { text: part, buttons }), this.clock);
    }
  }

  private inbound(messageId: string, chatId: string, from: User, text: string, at: Date): InboundMessageV1 {
    return {
      channel: 'discord',
      accountId: this.client.user!.id,
      messageId,
      chatId,
      sender: { id: from.id, name: from.globalName ?? from.username },
      text,
      receivedAt: at.toISOString(),
    };
  }

  /** Runs an event handler, logging its failure; stop() waits for those still running. */
  private handle(what: string, run: () => Promise<void>): void {
    const done = run()
      .catch((error: unknown) => this.logger.error(`Discord ${what}: ${(error as Error).message}`))
      .finally(() => this.handling.delete(done));
    this.handling.add(done);
  }
}

type Answer = Awaited<ReturnType<ChannelContext['submit']>>;

function answerText(answer: Answer): string | undefined {
  return answer.queued ? BUSY : answer.reply;
}

/** The gateway at `url` instead of the one GET /gateway/bot names (a proxy, a test's fake). */
function pinnedGateway(url: string): WebSocketOptions {
  return {
    buildStrategy(manager) {
      const fetchInformation = manager.fetchGatewayInformation.bind(manager);
      manager.fetchGatewayInformation = async (force?: boolean) => ({ ...(await fetchInformation(force)), url });
      return new SimpleShardingStrategy(manager);
    },
  };
}
