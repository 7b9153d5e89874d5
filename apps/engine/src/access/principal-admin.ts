import { Injectable } from '@nestjs/common';
import { AppError } from '@patchbay/bus';
import { PrincipalRevokeV1, PrincipalRoleV1, PrincipalV1, Role } from '@patchbay/contracts';
import { AccessStore } from '@patchbay/persistence';

/**
 * Owners change principals' roles and revoke them. Two rules keep Patchbay administrable:
 * the last owner keeps the role (nobody could approve pairings or change roles after), and
 * principals listed in patchbay.yaml are changed there (the file decides their role on every
 * start, so a change here would quietly come undone). Every change is audited with who made it.
 */
@Injectable()
export class PrincipalAdmin {
  constructor(private readonly store: AccessStore) {}

  async setRole(request: PrincipalRoleV1): Promise<PrincipalV1> {
    const before = await this.change(request.principalId, (principal, owners) => {
      refuseUnsafe(principal, owners, request.role, 'change the role of');
      return { role: request.role };
    });
    await this.audit(request.by, 'principal.role', before, `${describe(before)}: ${before.role} → ${request.role}`);
    return { ...before, role: request.role };
  }

  /** Its identities become unknown senders again (a pairing code next time). */
  async revoke(request: PrincipalRevokeV1): Promise<PrincipalV1> {
    const before = await this.change(request.principalId, (principal, owners) => {
      refuseUnsafe(principal, owners, null, 'revoke');
      return { revoke: true };
    });
    await this.audit(request.by, 'principal.revoke', before, `${describe(before)}, was ${before.role}`);
    return before;
  }

  private async change(id: string, decide: Parameters<AccessStore['changePrincipal']>[1]): Promise<PrincipalV1> {
    const before = await this.store.changePrincipal(id, decide);
    if (!before) throw new AppError('not_found', `no principal ${id}`);
    return before;
  }

  private audit(by: string, action: string, principal: PrincipalV1, detail: string): Promise<void> {
    return this.store.audit({ actor: by, principalId: null, action, target: `principal:${principal.id}`, decision: 'allow', detail });
  }
}

/** Throws when the change would leave no owner, or undo what patchbay.yaml says. `role` null: revoked. */
function refuseUnsafe(principal: PrincipalV1, owners: number, role: Role | null, verb: string): void {
  if (principal.fromConfig) {
    throw new AppError('from_config', `cannot ${verb} ${describe(principal)}: patchbay.yaml lists it under access:, change it there`);
  }
  if (principal.role === 'owner' && role !== 'owner' && owners <= 1) {
    throw new AppError('last_owner', `cannot ${verb} ${describe(principal)}: it is the last owner; make another principal an owner first`);
  }
}

function describe(principal: PrincipalV1): string {
  return `${principal.name} (${principal.identities.join(', ') || principal.id})`;
}
