import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Bus, RefusedMessage } from '@patchbay/bus';
import { sanitizeText } from '@patchbay/contracts';
import { AccessStore } from '@patchbay/persistence';
import { z } from 'zod';

/** Who an inbound message says it is from, as far as it parses. */
const InboundClaim = z.object({ channel: z.string(), sender: z.object({ id: z.string(), vouch: z.object({ role: z.string() }).optional() }) });
/** The acting user a state-changing request names. */
const ByClaim = z.object({ by: z.string() });

/** The actor of every refused bus message: its sender proved nothing, so it is nobody we know. */
export const UNAUTHENTICATED_ACTOR = 'bus:unauthenticated';

/**
 * Audits every bus message the engine refused for its signature (a forgery, or a gateway
 * with another bus.secret), with the identity it claimed, so an owner sees the attempt.
 */
@Injectable()
export class RefusedMessages implements OnApplicationBootstrap, OnModuleDestroy {
  private stop?: () => void;

  constructor(
    private readonly bus: Bus,
    private readonly store: AccessStore,
  ) {}

  onApplicationBootstrap(): void {
    this.stop = this.bus.onRefused((refused) => this.record(refused));
  }

  onModuleDestroy(): void {
    this.stop?.();
  }

  private async record(refused: RefusedMessage): Promise<void> {
    await this.store.audit({
      actor: UNAUTHENTICATED_ACTOR,
      principalId: null,
      action: refused.subject,
      target: refused.wireSubject,
      decision: 'deny',
      detail: `${refused.fault}: ${claimOf(refused.claimed)}`,
    });
  }
}

/** The claim in words, bounded and storable (a forger chooses these bytes). */
function claimOf(claimed: unknown): string {
  const inbound = InboundClaim.safeParse(claimed);
  const by = ByClaim.safeParse(claimed);
  let claim = 'claims no sender';
  if (inbound.success) {
    const { channel, sender } = inbound.data;
    claim = `claims ${channel}:${sender.id}${sender.vouch ? `, vouched ${sender.vouch.role}` : ''}`;
  } else if (by.success) {
    claim = `claims to act for ${by.data.by}`;
  }
  return sanitizeText(claim).slice(0, 300);
}
