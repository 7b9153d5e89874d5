import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { AppError, OnBusRequest } from '@patchbay/bus';
import { AuditQueryV1, PairApproveV1, PrincipalRevokeV1, PrincipalRoleV1, PrincipalV1, Role, RoleQueryV1 } from '@patchbay/contracts';
import { AccessStore } from '@patchbay/persistence';
import { Clock } from '@patchbay/config';
import { AccessService } from './access.service';
import { PrincipalAdmin } from './principal-admin';
import { ENGINE_QUEUE } from '../engine.constants';

/** Pairing and access administration for the CLI and HTTP API (owners only, on loopback), and roles for channels. */
@Controller()
export class AccessController {
  constructor(
    private readonly store: AccessStore,
    private readonly clock: Clock,
    private readonly access: AccessService,
    private readonly admin: PrincipalAdmin,
  ) {}

  @OnBusRequest('access.role', { queue: ENGINE_QUEUE })
  async role(@Payload() query: RoleQueryV1): Promise<{ role: Role | null }> {
    return { role: await this.access.roleOf(query.channel, query.senderId) };
  }

  @OnBusRequest('access.pairings', { queue: ENGINE_QUEUE })
  async pairings() {
    return { pending: await this.store.openPairings(this.clock.now()) };
  }

  @OnBusRequest('access.pair.approve', { queue: ENGINE_QUEUE })
  async approve(@Payload() request: PairApproveV1): Promise<PrincipalV1> {
    const principal = await this.store.approvePairing(request.code.toUpperCase(), request.role, request.by, this.clock.now());
    if (!principal) throw new AppError('not_found', `no open pairing request ${request.code} (wrong, expired or already decided)`);
    await this.store.audit({
      actor: request.by,
      principalId: null,
      action: 'pair.approve',
      target: principal.identities.join(', '),
      decision: 'allow',
      // Named, so the log can be searched for the person.
      detail: `${principal.name}, role ${principal.role}`,
    });
    return principal;
  }

  @OnBusRequest('access.principals', { queue: ENGINE_QUEUE })
  async principals() {
    return { principals: await this.store.principals() };
  }

  @OnBusRequest('access.principal.role', { queue: ENGINE_QUEUE })
  setRole(@Payload() request: PrincipalRoleV1): Promise<PrincipalV1> {
    return this.admin.setRole(request);
  }

  @OnBusRequest('access.principal.revoke', { queue: ENGINE_QUEUE })
  revoke(@Payload() request: PrincipalRevokeV1): Promise<PrincipalV1> {
    return this.admin.revoke(request);
  }

  @OnBusRequest('access.audit', { queue: ENGINE_QUEUE })
  async audit(@Payload() query: AuditQueryV1) {
    return { entries: await this.store.auditLog(query) };
  }
}
