import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Bus, DEAD_LETTER, deadLetterError, INBOUND_QUEUE, inboundKey, InboundQueue, RemoteError, TransportSubscription } from '@patchbay/bus';
import { PATCHBAY_CONFIG, PatchbayConfig } from '@patchbay/config';
import { BindingV1, DeadLetterV1, InboundMessageV1, OutputEventV1 } from '@patchbay/contracts';
import { ChannelContext, ChannelPlugin, ChatRenderer, RecentIds } from '@patchbay/plugin-sdk';
import { PatchbayMetrics } from '@patchbay/metrics';
import { REDACTOR, Redactor } from '@patchbay/security';
import { ApprovalPrompts, PromptsHost } from './approval-prompts';
import { CHANNEL_REGISTRY } from './channels.registry';

/**
 * Hosts the channel plugins: starts them with a way to hand messages to the engine, and
 * sends every session's output (redacted) to each chat bound to it, through one renderer per chat.
 * Agents' approval requests go to the same chats (ApprovalPrompts).
 * One gateway hosts a given channel (a Telegram bot has one poller).
 */
@Injectable()
export class ChannelsService implements OnApplicationBootstrap, OnModuleDestroy, PromptsHost {
  private readonly logger = new Logger(ChannelsService.name);
  readonly plugins = new Map<string, ChannelPlugin>();
  private readonly renderers = new Map<string, ChatRenderer>();
  /** Session → the chats that follow it (asked once, then as the engine announces them). */
  private readonly bindings = new Map<string, Promise<BindingV1[]>>();
  private subscriptions: TransportSubscription[] = [];
  /**
   * Messages whose chat still waits for the engine's answer, or was told (in that reply, or
   * by a notice) that it became a dead letter: `inbound.parked` may come before or after the
   * reply, and is told once.
   */
  private readonly answering = new RecentIds(60 * 60 * 1000, 1_000);
  private readonly prompts: ApprovalPrompts;

  constructor(
    @Inject(PATCHBAY_CONFIG) private readonly config: PatchbayConfig,
    private readonly bus: Bus,
    @Inject(INBOUND_QUEUE) private readonly inbound: InboundQueue,
    @Inject(REDACTOR) private readonly redactor: Redactor,
    private readonly metrics: PatchbayMetrics,
  ) {
    this.prompts = new ApprovalPrompts(this, bus, redactor);
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const register of CHANNEL_REGISTRY) {
      const plugin = register(this.config);
      if (plugin) this.plugins.set(plugin.id, plugin);
    }
    if (this.plugins.size === 0) return;
    this.subscriptions = [
      this.bus.subscribe('session.*.bindings', ({ sessionId, bindings }) => this.rebind(sessionId, bindings)),
      this.bus.subscribe('session.*.events', (event) => this.deliver(event)),
      this.bus.subscribe('inbound.parked', (letter) => this.tellParked(letter)),
      this.bus.subscribe('approval.requested', (approval) => this.prompts.requested(approval)),
      this.bus.subscribe('approval.decided', (approval) => this.prompts.answered(approval)),
    ];
    for (const plugin of this.plugins.values()) {
      await plugin.start({
        submit: (message) => this.submit(message),
        roleOf: async (senderId) => (await this.bus.request('access.role', { channel: plugin.id, senderId })).role,
      });
    }
    // Not awaited: an engine that is not up yet is asked again meanwhile.
    void this.prompts.showPending();
  }

  /**
   * Hands a chat message to the engine. One the engine gave up on (a dead letter) is
   * answered in the chat with why, like any reply, so the platform does not send it again.
   */
  private async submit(message: InboundMessageV1): ReturnType<ChannelContext['submit']> {
    const key = inboundKey(message);
    this.answering.claim(key);
    let told = false;
    try {
      const answer = await this.inbound.submit(message, this.config.bus.requestTimeoutMs);
      return 'queued' in answer ? { queued: true } : { reply: answer.reply && this.redactor.redact(answer.reply), buttons: answer.buttons };
    } catch (error) {
      if (error instanceof RemoteError && error.code === DEAD_LETTER) {
        told = true;
        return { reply: sorry(error.message) };
      }
      throw error;
    } finally {
      if (!told) this.answering.forget(key);
    }
  }

  /**
   * A message parked after its sender stopped waiting (it was queued for an engine that was
   * busy or down): tell its chat now, since no reply will. One still waited for hears it
   * in its reply instead.
   */
  private async tellParked(letter: DeadLetterV1): Promise<void> {
    const { message } = letter;
    const plugin = this.plugins.get(message.channel);
    if (!plugin || message.chatId === null || !this.answering.claim(inboundKey(message))) return;
    await plugin.send(message.chatId, { text: this.redactor.redact(sorry(deadLetterError(letter).message)) }).catch((error: unknown) => {
      this.logger.warn(`telling ${message.channel} chat ${message.chatId} of dead letter ${letter.id} failed: ${(error as Error).message}`);
    });
  }

  async onModuleDestroy(): Promise<void> {
    for (const sub of this.subscriptions) sub.unsubscribe();
    this.prompts.close();
    await Promise.all([...this.renderers.values()].map((r) => r.idle()));
    for (const plugin of this.plugins.values()) await plugin.stop();
  }

  /**
   * Every chat message of a session passes here, on every platform (renderers and plugin
   * hooks such as GitHub's comments): redacted once, with the gateway's own secrets.
   */
  private async deliver(received: OutputEventV1): Promise<void> {
    const event = this.redactor.redactAll(received);
    for (const binding of await this.bindingsOf(event.sessionId)) {
      const plugin = this.plugins.get(binding.channel);
      if (!plugin) continue;
      const key = this.key(binding, event.sessionId);
      let renderer = this.renderers.get(key);
      if (!renderer) {
        const capabilities = { ...plugin.capabilities, rateBudget: plugin.rateBudgetOf?.(binding.chatId) ?? plugin.capabilities.rateBudget };
        const platform = plugin.id;
        renderer = new ChatRenderer({
          transport: plugin,
          chatId: binding.chatId,
          capabilities,
          delivery: binding.delivery,
          onCall: (operation, result) => this.metrics.rendererCalls.inc({ platform, operation, result }),
        });
        this.renderers.set(key, renderer);
      }
      renderer.push(event);
      plugin.onSessionEvent?.(binding.chatId, event);
    }
  }

  /** The session's chats changed: let go of renderers of chats that left, show a newcomer what waits. */
  private async rebind(sessionId: string, bindings: BindingV1[]): Promise<void> {
    this.bindings.set(sessionId, Promise.resolve(bindings));
    const keep = new Set(bindings.map((b) => this.key(b, sessionId)));
    for (const key of this.renderers.keys()) {
      if (key.endsWith(`\u0000${sessionId}`) && !keep.has(key)) this.renderers.delete(key);
    }
    await this.prompts.rebound(sessionId);
  }

  private key(binding: BindingV1, sessionId: string): string {
    return `${binding.channel}\u0000${binding.chatId}\u0000${sessionId}`;
  }

  bindingsOf(sessionId: string): Promise<BindingV1[]> {
    let found = this.bindings.get(sessionId);
    if (!found) {
      const asked: Promise<BindingV1[]> = this.bus.request('query.bindings', { id: sessionId }).then(
        (r) => r.bindings,
        (error) => {
          // Asked again next time, unless an announcement came meanwhile.
          if (this.bindings.get(sessionId) === asked) this.bindings.delete(sessionId);
          this.logger.warn(`bindings of session ${sessionId}: ${(error as Error).message}`);
          return [];
        },
      );
      this.bindings.set(sessionId, (found = asked));
    }
    return found;
  }
}

function sorry(why: string): string {
  return `Sorry, your message ${why}.`;
}
