import { Injectable } from '@nestjs/common';
import { FilterQuery, LockMode, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { AuditEntryV1, AuditQueryV1, newId, PairingRequestV1, PrincipalV1, Role } from '@patchbay/contracts';
import { Database } from './database';
import { AuditEntryEntity, IdentityEntity, PairingRequestEntity, PrincipalEntity } from './entities';

export interface KnownSender {
  principalId: string;
  name: string;
  role: Role;
}

/** What an owner does to a principal: give it another role, or revoke it (its identities go). */
export type PrincipalChange = { role: Role } | { revoke: true };

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

  /**
   * Makes the principals listed in patchbay.yaml match it: each listed identity gets the
   * listed role; principals the file no longer lists lose access.
   */
  async syncConfig(listed: Array<{ channel: string; platformUserId: string; role: Role }>): Promise<void> {
    await this.database.em().transactional(async (em) => {
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
    const em = this.database.em();
    const identity = await em.findOne(IdentityEntity, { channel, platformUserId });
    if (!identity) return null;
    const principal = await em.findOne(PrincipalEntity, identity.principalId);
    return principal ? { principalId: principal.id, name: principal.name, role: principal.role } : null;
  }

  /** The sender's open (unexpired) request, if any. */
  async openPairing(channel: string, platformUserId: string, now: Date): Promise<PairingRequestEntity | null> {
    return this.database.em().findOne(PairingRequestEntity, { channel, platformUserId, status: 'pending', expiresAt: { $gt: now } });
  }

  /** How many codes the channel handed out since `since`, whatever became of them. */
  async countPairingsSince(channel: string, since: Date): Promise<number> {
    return this.database.em().count(PairingRequestEntity, { channel, createdAt: { $gt: since } });
  }

  async createPairing(pairing: NewPairing): Promise<void> {
    await this.database.em().insert(PairingRequestEntity, { ...pairing, status: 'pending' });
  }

  async openPairings(now: Date): Promise<PairingRequestV1[]> {
    const rows = await this.database.em().find(PairingRequestEntity, { status: 'pending', expiresAt: { $gt: now } }, { orderBy: { createdAt: 'asc' } });
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
      return await this.database.em().transactional(async (em) => {
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
    const em = this.database.em();
    const [principals, identities] = await Promise.all([em.find(PrincipalEntity, {}, { orderBy: { createdAt: 'asc' } }), em.find(IdentityEntity, {})]);
    return principals.map((p) =>
      toPrincipalV1(
        p,
        identities.filter((i) => i.principalId === p.id),
      ),
    );
  }

  /**
   * Changes a principal while every owner's row (and its own) is locked, so two changes at
   * once cannot both take away the last owner: `decide` sees the principal and how many
   * owners there are, and throws to refuse. Returns the principal as it was before; null
   * when there is no such principal.
   */
  async changePrincipal(id: string, decide: (principal: PrincipalV1, owners: number) => PrincipalChange): Promise<PrincipalV1 | null> {
    return this.database.em().transactional(async (em) => {
      const locked = await em.find(PrincipalEntity, { $or: [{ role: 'owner' }, { id }] }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      const row = locked.find((p) => p.id === id);
      if (!row) return null;
      const identities = await em.find(IdentityEntity, { principalId: id }, { orderBy: { createdAt: 'asc' } });
      const before = toPrincipalV1(row, identities);
      const change = decide(before, locked.filter((p) => p.role === 'owner').length);
      if ('revoke' in change) {
        await em.nativeDelete(IdentityEntity, { principalId: id });
        await em.nativeDelete(PrincipalEntity, { id });
      } else {
        await em.nativeUpdate(PrincipalEntity, { id }, { role: change.role });
      }
      return before;
    });
  }

  async audit(entry: Omit<AuditEntryV1, 'at'> & { principalId: string | null }): Promise<void> {
    await this.database.em().insert(AuditEntryEntity, { ...entry, at: new Date() });
  }

  /** Newest first; `q` matches action, actor, target or detail as a case-insensitive substring (taken literally: `%` and `_` too). */
  async auditLog(query: AuditQueryV1): Promise<AuditEntryV1[]> {
    const where: FilterQuery<AuditEntryEntity> = {};
    if (query.action !== undefined) where.action = query.action;
    if (query.actor !== undefined) where.actor = query.actor;
    if (query.q !== undefined) {
      const pattern = `%${escapeLike(query.q)}%`;
      where.$or = [{ action: { $ilike: pattern } }, { actor: { $ilike: pattern } }, { target: { $ilike: pattern } }, { detail: { $ilike: pattern } }];
    }
    const rows = await this.database.em().find(AuditEntryEntity, where, { orderBy: { id: 'desc' }, limit: query.limit });
    return rows.map((r) => ({ at: r.at.toISOString(), actor: r.actor, action: r.action, target: r.target, decision: r.decision, detail: r.detail }));
  }
}

function toPrincipalV1(p: PrincipalEntity, identities: IdentityEntity[]): PrincipalV1 {
  return { id: p.id, name: p.name, role: p.role, fromConfig: p.fromConfig, identities: identities.map((i) => `${i.channel}:${i.platformUserId}`) };
}

/** LIKE's wildcards and its escape character (PostgreSQL's default, a backslash) taken literally. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
