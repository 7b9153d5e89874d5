import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomInt } from 'node:crypto';
import { PATCHBAY_CONFIG, PatchbayConfig } from '@patchbay/config';
import { Action, InboundMessageV1, Role, ROLE_ALLOWS, Vouch } from '@patchbay/contracts';
import { AccessStore } from '@patchbay/persistence';
import { Clock } from '@patchbay/config';

/**
 * Pairing codes: 8 characters, no look-alikes (0/O, 1/I/L), valid for an hour, one open per
 * sender; a channel hands out at most `pairing.newCodesPerHour` new ones an hour.
 */
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const CODE_LENGTH = 8;
export const PAIRING_TTL_MS = 60 * 60 * 1000;
const PAIRING_RATE_WINDOW_MS = 60 * 60 * 1000;

/** The answer to an unknown sender, and what happened, for the audit log. */
export interface PairingAnswer {
  reply: string;
  detail: 'pairing code sent' | 'pairing code re-sent' | 'pairing refused: rate limit';
}

/** Who sent a message, as far as Patchbay knows them. */
export interface Sender {
  /** `<channel>:<user id>`, as written in the audit log and in patchbay.yaml. */
  actor: string;
  name: string;
  principalId: string | null;
  /** null: unknown, may do nothing. */
  role: Role | null;
  /** Why the channel vouched for this sender, when its vouch was taken. */
  vouched?: string;
}

/**
 * Identities, roles and pairing. Default deny: a sender that is neither listed in
 * patchbay.yaml `access:` nor paired may do nothing; every decision is audited.
 */
@Injectable()
export class AccessService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AccessService.name);

  constructor(
    @Inject(PATCHBAY_CONFIG) private readonly config: PatchbayConfig,
    private readonly store: AccessStore,
    private readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const listed = (['owners', 'operators', 'viewers'] as const).flatMap((list) =>
      this.config.access[list]
        .map(parseRef)
        .filter((ref) => ref.platformUserId !== '*')
        .map((ref) => ({ ...ref, role: ROLE_OF_LIST[list] })),
    );
    await this.store.syncConfig(listed);
  }

  async identify(message: InboundMessageV1): Promise<Sender> {
    return this.identifySender(message.channel, message.sender, message.chatId);
  }

  /** Someone acting on `target` (a chat, a session) through `channel`; a vouch taken or refused is audited. */
  async identifySender(channel: string, who: InboundMessageV1['sender'], target: string | null): Promise<Sender> {
    const message = { channel, sender: who, chatId: target };
    const actor = `${message.channel}:${message.sender.id}`;
    const name = message.sender.name ?? message.sender.id;
    // Patchbay's own channels (the scheduler) act with what an owner set up.
    if (INTERNAL_CHANNELS.has(message.channel)) return { actor, name, principalId: null, role: 'operator' };
    const known = await this.store.sender(message.channel, message.sender.id);
    const ceiling = VOUCH_CEILING[message.channel];
    const offered = message.sender.vouch;
    const vouch = believed(message.channel, offered);
    const role = best(best(known?.role ?? null, this.wildcardRole(message.channel)), vouch?.role ?? null);
    // The name people see on the platform, which is how others in a shared session know them.
    const sender: Sender = { actor, name: message.sender.name ?? known?.name ?? message.sender.id, principalId: known?.principalId ?? null, role };
    if (vouch) {
      sender.vouched = vouch.reason;
      await this.audit(sender, 'vouch', message.chatId, 'allow', `${message.channel} vouches (${vouch.role}): ${vouch.reason}`);
    } else if (offered) {
      const why = ceiling ? `channel ${message.channel} may vouch up to ${ceiling}, not ${offered.role}` : `channel ${message.channel} may not vouch for senders`;
      await this.audit(sender, 'vouch', message.chatId, 'deny', why);
    }
    return sender;
  }

  /** The role a channel's user has from the config and pairing, and from the channel's vouch when it may give one. */
  async roleOf(channel: string, senderId: string, vouch?: Vouch): Promise<Role | null> {
    if (INTERNAL_CHANNELS.has(channel)) return 'operator';
    const known = await this.store.sender(channel, senderId);
    return best(best(known?.role ?? null, this.wildcardRole(channel)), believed(channel, vouch)?.role ?? null);
  }

  /**
   * Whether an unknown sender on `channel` gets a pairing code. Not on public channels
   * (GitHub issues): anyone may write there, and a code on every stranger's comment would
   * be spam; they are refused without an answer instead.
   */
  pairs(channel: string): boolean {
    return !SILENT_CHANNELS.has(channel);
  }

  /** Decides and records whether `sender` may do `action`. */
  async authorize(sender: Sender, action: Action, target: string | null, detail?: string): Promise<boolean> {
    const allowed = sender.role !== null && ROLE_ALLOWS[sender.role].has(action);
    await this.audit(sender, action, target, allowed ? 'allow' : 'deny', detail ?? (allowed ? null : `role ${sender.role ?? 'unknown'}`));
    return allowed;
  }

  async audit(sender: Sender, action: string, target: string | null, decision: 'allow' | 'deny', detail: string | null): Promise<void> {
    await this.store.audit({ actor: sender.actor, principalId: sender.principalId, action, target, decision, detail });
  }

  /**
   * The unknown sender's pairing code: their open one again (not extended), or a new one
   * while the channel handed out fewer than `pairing.newCodesPerHour` in the last hour.
   * Per sender, so strangers holding codes never lock a newcomer out; the rate bounds how
   * many codes anyone can make an owner look through.
   */
  async pairingReply(message: InboundMessageV1): Promise<PairingAnswer> {
    const now = this.clock.now();
    const open = await this.store.openPairing(message.channel, message.sender.id, now);
    if (open) return { reply: pairingText(open.code, open.expiresAt), detail: 'pairing code re-sent' };
    const since = new Date(now.getTime() - PAIRING_RATE_WINDOW_MS);
    if ((await this.store.countPairingsSince(message.channel, since)) >= this.config.pairing.newCodesPerHour) {
      this.logger.warn(`pairing refused for ${message.channel}:${message.sender.id}: ${this.config.pairing.newCodesPerHour} new codes in the last hour`);
      return {
        reply: 'You are not paired with this Patchbay, and too many pairing codes were handed out in the last hour. Try again later, or ask its owner to let you in.',
        detail: 'pairing refused: rate limit',
      };
    }
    const code = newCode();
    const expiresAt = new Date(now.getTime() + PAIRING_TTL_MS);
    await this.store.createPairing({
      code,
      channel: message.channel,
      platformUserId: message.sender.id,
      displayName: message.sender.name ?? null,
      chatId: message.chatId,
      createdAt: now,
      expiresAt,
    });
    this.logger.log(`pairing code for ${message.channel}:${message.sender.id} (${message.sender.name ?? 'no name'}) created`);
    return { reply: pairingText(code, expiresAt), detail: 'pairing code sent' };
  }

  private wildcardRole(channel: string): Role | null {
    const { owners, operators, viewers } = this.config.access;
    const star = `${channel}:*`;
    if (owners.includes(star)) return 'owner';
    if (operators.includes(star)) return 'operator';
    if (viewers.includes(star)) return 'viewer';
    return null;
  }
}

/** Channels whose messages Patchbay itself makes. */
const INTERNAL_CHANNELS: ReadonlySet<string> = new Set(['schedule']);
/**
 * Channels that check senders themselves and may vouch for them (sender.vouch), each up
 * to a highest role: GitHub asks the repository's collaborator permissions (operator at
 * most); the HTTP API's `api` channel is a caller holding an API token, vouched for with
 * that token's role. Any other vouch is ignored (and audited as refused).
 */
const VOUCH_CEILING: Readonly<Record<string, Role>> = { github: 'operator', api: 'owner' };
/** Public channels: unknown senders get no pairing code and no answer. */
const SILENT_CHANNELS: ReadonlySet<string> = new Set(['github']);

const ROLE_OF_LIST = { owners: 'owner', operators: 'operator', viewers: 'viewer' } as const;
const RANK: Record<Role, number> = { viewer: 1, operator: 2, owner: 3 };

/** A vouch the channel may give (up to its ceiling); undefined otherwise. */
function believed(channel: string, offered: Vouch | undefined): Vouch | undefined {
  const ceiling = VOUCH_CEILING[channel];
  return offered && ceiling && RANK[offered.role] <= RANK[ceiling] ? offered : undefined;
}

function best(a: Role | null, b: Role | null): Role | null {
  if (!a) return b;
  if (!b) return a;
  return RANK[a] >= RANK[b] ? a : b;
}

function parseRef(ref: string): { channel: string; platformUserId: string } {
  const at = ref.indexOf(':');
  return { channel: ref.slice(0, at), platformUserId: ref.slice(at + 1) };
}

function newCode(): string {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

function pairingText(code: string, expiresAt: Date): string {
  return (
    `You are not paired with this Patchbay yet, so nothing was run. Pairing code: ${code} ` +
    `(valid until ${expiresAt.toISOString().slice(11, 16)} UTC). Ask the owner to run \`patchbay pair approve ${code}\`.`
  );
}
