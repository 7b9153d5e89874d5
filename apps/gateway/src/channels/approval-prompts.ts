import { Logger } from '@nestjs/common';
import { Bus } from '@patchbay/bus';
import { ApprovalV1, BindingV1 } from '@patchbay/contracts';
import { approvalDecidedMessage, approvalRequestMessage, ChannelPlugin, chatPaced, RecentIds } from '@patchbay/plugin-sdk';
import { Redactor } from '@patchbay/security';

/** What the prompts need of the channel host: its plugins and who follows a session. */
export interface PromptsHost {
  readonly plugins: ReadonlyMap<string, ChannelPlugin>;
  bindingsOf(sessionId: string): Promise<BindingV1[]>;
}

/** One chat's message of a request: its id once sent (null when the send failed). */
type Shown = Promise<{ plugin: ChannelPlugin; chatId: string; messageId: string | null }>;

/** How long after a failed look-up of the pending requests (no engine yet) the gateway asks again. */
const RELIST_MS = 5_000;
const RELIST_TRIES = 12;

/**
 * Shows agents' approval requests in every chat bound to the session: with buttons where
 * the platform has them, else with the commands that answer. Once decided, each of those
 * messages is edited to say who decided what and loses its buttons (sent as a new message
 * where the platform cannot edit). A chat that attaches late, and every chat after a
 * gateway restart, gets the requests still waiting. Sends are paced with the chat's
 * renderers and wait out 429s.
 */
export class ApprovalPrompts {
  private readonly logger = new Logger(ApprovalPrompts.name);
  /** Approval → chat (`channel\0chatId`) → its message. */
  private readonly shown = new Map<string, Map<string, Shown>>();
  /** Requests decided lately: a request event that comes after its decision shows nothing. */
  private readonly decided = new RecentIds(60 * 60 * 1000, 10_000);
  private closed = false;

  constructor(
    private readonly host: PromptsHost,
    private readonly bus: Bus,
    private readonly redactor: Redactor,
  ) {}

  /** A new request: to every chat of its session. */
  async requested(approval: ApprovalV1): Promise<void> {
    await this.showToChats([approval], approval.sessionId);
  }

  /** The session's chats changed: a newly bound one gets what waits there. */
  async rebound(sessionId: string): Promise<void> {
    await this.showToChats(await this.waiting(sessionId), sessionId);
  }

  /** At start: every request still waiting, to its chats (asked again while no engine answers). */
  async showPending(): Promise<void> {
    for (let attempt = 1; !this.closed; attempt++) {
      try {
        const { approvals } = await this.bus.request('approvals.list', { pendingOnly: true, limit: 500 });
        for (const sessionId of new Set(approvals.map((a) => a.sessionId))) {
          await this.showToChats(
            approvals.filter((a) => a.sessionId === sessionId),
            sessionId,
          );
        }
        return;
      } catch (error) {
        if (attempt >= RELIST_TRIES) {
          this.logger.warn(`pending approvals could not be listed: ${(error as Error).message}; chats see them once they attach`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, RELIST_MS).unref());
      }
    }
  }

  /** A request was answered: each chat's message of it now says by whom, and its buttons go. */
  async answered(approval: ApprovalV1): Promise<void> {
    this.decided.claim(approval.id);
    const chats = this.shown.get(approval.id);
    this.shown.delete(approval.id);
    if (!chats) return;
    const decided = this.redactor.redactAll(approval);
    await Promise.all(
      [...chats.values()].map(async (shown) => {
        const { plugin, chatId, messageId } = await shown;
        const message = approvalDecidedMessage(decided, plugin.capabilities);
        const edit = plugin.capabilities.edit && messageId !== null;
        await this.call(plugin, chatId, `the decision of approval ${approval.id}`, async () => {
          if (edit) await plugin.edit(chatId, messageId, message);
          else await plugin.send(chatId, message);
        });
      }),
    );
  }

  close(): void {
    this.closed = true;
  }

  private async waiting(sessionId: string): Promise<ApprovalV1[]> {
    try {
      return (await this.bus.request('approvals.list', { sessionId, pendingOnly: true, limit: 100 })).approvals;
    } catch (error) {
      this.logger.warn(`pending approvals of session ${sessionId}: ${(error as Error).message}`);
      return [];
    }
  }

  private async showToChats(approvals: ApprovalV1[], sessionId: string): Promise<void> {
    if (approvals.length === 0) return;
    const bindings = await this.host.bindingsOf(sessionId);
    const sends: Shown[] = [];
    for (const approval of approvals) {
      for (const binding of bindings) {
        const plugin = this.host.plugins.get(binding.channel);
        if (plugin) sends.push(this.show(approval, plugin, binding.chatId));
      }
    }
    await Promise.all(sends);
  }

  /** Sends the request to one chat, once. */
  private show(approval: ApprovalV1, plugin: ChannelPlugin, chatId: string): Shown {
    if (this.decided.has(approval.id)) return Promise.resolve({ plugin, chatId, messageId: null });
    let chats = this.shown.get(approval.id);
    if (!chats) this.shown.set(approval.id, (chats = new Map()));
    const key = `${plugin.id}\u0000${chatId}`;
    const known = chats.get(key);
    if (known) return known;
    const message = approvalRequestMessage(this.redactor.redactAll(approval), plugin.capabilities);
    const shown: Shown = this.call(plugin, chatId, `approval request ${approval.id}`, () => plugin.send(chatId, message)).then((sent) => ({
      plugin,
      chatId,
      messageId: sent?.messageId ?? null,
    }));
    chats.set(key, shown);
    return shown;
  }

  /** One paced call; a failure is logged (the request still waits and can be answered anywhere). */
  private async call<T>(plugin: ChannelPlugin, chatId: string, what: string, send: () => Promise<T>): Promise<T | null> {
    const budgets = { ...plugin.capabilities, rateBudget: plugin.rateBudgetOf?.(chatId) ?? plugin.capabilities.rateBudget };
    try {
      return await chatPaced(plugin, chatId, budgets, send);
    } catch (error) {
      this.logger.warn(`${plugin.id} chat ${chatId}: ${what} not delivered: ${(error as Error).message}`);
      return null;
    }
  }
}
