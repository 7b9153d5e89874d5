import { Inject, Injectable } from '@nestjs/common';
import { AppError, Bus, BusError } from '@patchbay/bus';
import type { AgentProfile } from '@patchbay/agents';
import { InputResultV1, SessionTypeV1 } from '@patchbay/contracts';
import { SessionsStore } from '@patchbay/persistence';
import { REDACTOR, Redactor } from '@patchbay/security';
import { AccessService } from '../access/access.service';
import { AGENT_PROFILES } from '../engine.constants';

/** Text (with or without Enter, from whom) or keys for a live terminal session. */
export type Typed = { kind: 'text'; text: string; enter?: boolean; sender?: string } | { kind: 'keys'; keys: string[] };

/**
 * The one way into a live terminal session's pane: chat text, `/send` and `/keys`, and the
 * HTTP API's typing all go through `deliver` to the runner that holds the session.
 */
@Injectable()
export class SessionTyping {
  constructor(
    private readonly bus: Bus,
    private readonly sessions: SessionsStore,
    private readonly access: AccessService,
    @Inject(REDACTOR) private readonly redactor: Redactor,
    @Inject(AGENT_PROFILES) private readonly profiles: ReadonlyMap<string, AgentProfile>,
  ) {}

  /**
   * Typing from outside a chat (the HTTP API): checked against the typist's role and
   * audited as chat input is (typing into a bridged tmux session is for owners only), the
   * text redacted as an inbound message's, then delivered.
   */
  async typeAs({ sessionId, by, input }: SessionTypeV1): Promise<InputResultV1> {
    const session = await this.sessions.session(sessionId);
    if (!session) throw new AppError('not_found', `no session ${sessionId}`);
    const sender = await this.access.identifySender(by.channel, { id: by.senderId, name: by.name, vouch: by.vouch }, sessionId);
    const action = this.profiles.get(session.agent)?.mode === 'bridge' ? 'admin' : 'input';
    const what = input.kind === 'text' ? 'typed text' : `keys ${input.keys.join(' ')}`;
    if (!(await this.access.authorize(sender, action, sessionId, `${by.channel}: ${what}`))) {
      throw new AppError(
        'forbidden',
        `${sender.actor} may not type into session ${sessionId} (role ${sender.role ?? 'unknown'}${action === 'admin' ? ': a bridged tmux session takes input from owners only' : ''})`,
      );
    }
    return this.deliver(sessionId, input.kind === 'text' ? { ...input, text: this.redactor.redact(input.text), sender: sender.name } : input);
  }

  /** Hands the input to the session's runner; `not_live` when no runner holds the session. */
  async deliver(sessionId: string, typed: Typed): Promise<InputResultV1> {
    try {
      if (typed.kind === 'keys') return await this.bus.request('session.*.keys', { keys: typed.keys }, { params: [sessionId] });
      const { text, enter, sender } = typed;
      return await this.bus.request('session.*.input', { text, ...(enter === undefined ? {} : { enter }), ...(sender ? { sender } : {}) }, { params: [sessionId] });
    } catch (error) {
      if (error instanceof BusError && error.code === 'no_responder') throw new AppError('not_live', `session ${sessionId} has no live terminal`);
      throw error;
    }
  }
}
