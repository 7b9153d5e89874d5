import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { userInfo } from 'node:os';
import { ActingUserV1, Role, Vouch } from '@patchbay/contracts';
import { CALLER_KEY } from './auth.constants';

/**
 * Who is calling the API: a holder of an API token (by bearer or a dashboard login), or, on
 * a loopback setup without tokens, the local user (an owner at the gateway, as the CLI is).
 */
export type ApiCaller = { kind: 'token'; name: string; role: Role; via: 'bearer' | 'session' } | { kind: 'local'; user: string; role: 'owner' };

export function localCaller(): ApiCaller {
  return { kind: 'local', user: userInfo().username, role: 'owner' };
}

/** The caller as the audit log names them: `api:<token name>` or `local:<user>`. */
export function actorOf(caller: ApiCaller): string {
  return caller.kind === 'token' ? `api:${caller.name}` : `local:${caller.user}`;
}

/** A token holder's role, which the gateway vouches for to the engine (which does not know the API's tokens). */
export function vouchOf(caller: ApiCaller & { kind: 'token' }): Vouch {
  return { role: caller.role, reason: `API token "${caller.name}"` };
}

/** The caller as the engine knows them: `api:<token name>`, vouched for with the token's role, or `local:<user>`. */
export function actingUserOf(caller: ApiCaller): ActingUserV1 {
  if (caller.kind === 'local') return { channel: 'local', senderId: caller.user, name: caller.user };
  return { channel: 'api', senderId: caller.name, name: caller.name, vouch: vouchOf(caller) };
}

/** The caller the guard identified for this request (routes with a role rule always have one). */
export const Caller = createParamDecorator((_data: unknown, context: ExecutionContext): ApiCaller => {
  const caller = context.switchToHttp().getRequest<Record<string, unknown>>()[CALLER_KEY] as ApiCaller | undefined;
  if (!caller) throw new Error('@Caller() on a route without a role rule: the guard identified nobody');
  return caller;
});
