import { Injectable } from '@nestjs/common';
import { EntityManager, LockMode, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { AuditEntryV1, newId, PairingRequestV1, PrincipalV1, Role } from '@patchbay/contracts';
import { Database } from './database';
import { AuditEntryEntity, IdentityEntity, PairingRequestEntity, PrincipalEntity } from './entities';

export interface KnownSender {
  principalId: string;
  name: string;
  role: Role;
}

export interface NewPairing {
  code: string;
  channel: string;
  platformUserId: string;
  displayName: string | null;
  chatId: string | null;
  createdAt: Date;
  expiresAt: Date;
}

/** Principals, identities, pairing requests and the audit log. */
@Injectable()
export class AccessStore {
  constructor(private readonly database: Database) {}

  private em(): EntityManager {
    return this.database.orm.em.fork();
  }

  /**
   * Makes the principals listed in patchbay.yaml match it: each listed identity gets the
   * listed role; principals the file no longer lists lose access.
   */
  async syncConfig(listed: Array<{ channel: string; platformUserId: string; role: Role }>): Promise<void> {
    await this.em().transactional(async (em) => {
      const keep = new Set<string>();
      for (const entry of listed) {
        const identity = await em.findOne(IdentityEntity, { channel: entry.channel, platformUserId: entry.platformUserId });
        if (identity) {
          await em.nativeUpdate(PrincipalEntity, { id: identity.principalId }, { role: entry.role, fromConfig: true });
          keep.add(identity.principalId);
          continue;
        }
        const principal = em.create(PrincipalEntity, { id: newId(), name: `${entry.channel}:${entry.platformUserId}`, role: entry.role, fromConfig: true });
        em.create(IdentityEntity, { id: newId(), principalId: principal.id, channel: entry.channel, platformUserId: entry.platformUserId });
        keep.add(principal.id);
      }
      await em.flush();
      await em.nativeDelete(PrincipalEntity, { fromConfig: true, id: { $nin: [...keep] } });
    });
  }

  async sender(channel: string, platformUserId: string): Promise<KnownSender | null> {
    const em = this.em();
    const identity = await em.findOne(IdentityEntity, { channel, platformUserId });
    if (!identity) return null;
    const principal = await em.findOne(PrincipalEntity, identity.principalId);
    return principal ? { principalId: principal.id, name: principal.name, role: principal.role } : null;
  }

  /** The sender's open (unexpired) request, if any. */
  async openPairing(channel: string, platformUserId: string, now: Date): Promise<PairingRequestEntity | null> {
    return this.em().findOne(PairingRequestEntity, { channel, platformUserId, status: 'pending', expiresAt: { $gt: now } });
  }

  /** How many codes the channel handed out since `since`, whatever became of them. */
  async countPairingsSince(channel: string, since: Date): Promise<number> {
    return this.em().count(PairingRequestEntity, { channel, createdAt: { $gt: since } });
  }

  async createPairing(pairing: NewPairing): Promise<void> {
    await this.em().insert(PairingRequestEntity, { ...pairing, status: 'pending' });
  }

  async openPairings(now: Date): Promise<PairingRequestV1[]> {
    const rows = await this.em().find(PairingRequestEntity, { status: 'pending', expiresAt: { $gt: now } }, { orderBy: { createdAt: 'asc' } });
    return rows.map((r) => ({
      code: r.code,
      channel: r.channel,
      platformUserId: r.platformUserId,
      displayName: r.displayName,
      chatId: r.chatId,
      createdAt: r.createdAt.toISOString(),
      expiresAt: r.expiresAt.toISOString(),
    }));
  }

  /**
   * Approves an open request: the sender becomes a principal with `role`. Returns null when
   * no open request has this code (unknown, expired, or already decided).
   */
  async approvePairing(code: string, role: Role, by: string, now: Date): Promise<PrincipalV1 | null> {
    try {
      return await this.em().transactional(async (em) => {
        const request = await em.findOne(PairingRequestEntity, { code, status: 'pending', expiresAt: { $gt: now } }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (!request) return null;
        request.status = 'approved';
        request.decidedBy = by;
        const name = request.displayName ?? `${request.channel}:${request.platformUserId}`;
        const principal = em.create(PrincipalEntity, { id: newId(), name, role });
        em.create(IdentityEntity, {
          id: newId(),
          principalId: principal.id,
          channel: request.channel,
          platformUserId: request.platformUserId,
          displayName: request.displayName,
        });
        await em.flush();
        return { id: principal.id, name, role, identities: [`${request.channel}:${request.platformUserId}`], fromConfig: false };
      });
    } catch (error) {
      // The identity was let in another way meanwhile (config, a second code).
      if (error instanceof UniqueConstraintViolationException) return null;
      throw error;
    }
  }

  async principals(): Promise<PrincipalV1[]> {
    const em = this.em();
    const [principals, identities] = await Promise.all([
      em.find(PrincipalEntity, {}, { orderBy: { createdAt: 'asc' } }),
      em.find(IdentityEntity, {}),
    ]);
    return principals.map((p) => ({
      id: p.id,
      name: p.name,
      role: p.role,
      fromConfig: p.fromConfig,
      identities: identities.filter((i) => i.principalId === p.id).map((i) => `${i.channel}:${i.platformUserId}`),
    }));
  }

  async audit(entry: Omit<AuditEntryV1, 'at'> & { principalId: string | null }): Promise<void> {
    await this.em().insert(AuditEntryEntity, { ...entry, at: new Date() });
  }

  async auditLog(limit: number): Promise<AuditEntryV1[]> {
    const rows = await this.em().find(AuditEntryEntity, {}, { orderBy: { id: 'desc' }, limit });
    return rows.map((r) => ({ at: r.at.toISOString(), actor: r.actor, action: r.action, target: r.target, decision: r.decision, detail: r.detail }));
  }
}
