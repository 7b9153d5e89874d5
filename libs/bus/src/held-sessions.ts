import { Injectable } from '@nestjs/common';
import { PayloadOf, ReplyOf, RequestSubject } from '@patchbay/contracts';
import { Bus } from './bus';
import { TransportSubscription } from './bus.transport';

/** The requests addressed to one session (`session.<id>.input`, …): answered only where the session is held. */
export type SessionRequestSubject = Extract<RequestSubject, `session.*.${string}`>;

type Handler = { subject: SessionRequestSubject; method: string | symbol };
const HANDLERS = Symbol('patchbay:held-session-handlers');

/**
 * Marks a controller method as the answer to a session-addressed request, for the sessions
 * this process holds: `(sessionId, payload) => reply`. The controller hands itself to
 * `HeldSessions.serve` once; `hold(sessionId)` then subscribes every marked method for that
 * session, `release` ends them. Like `@OnBusRequest`, so a reader finds every handler of a
 * role in its controllers, though these subscribe per session rather than at start.
 */
export function OnHeldSession(subject: SessionRequestSubject): MethodDecorator {
  return (target, method) => {
    const own = target as { [HANDLERS]?: Handler[] };
    own[HANDLERS] = [...(own[HANDLERS] ?? []), { subject, method }];
  };
}

type Answer = (sessionId: string, payload: unknown) => Promise<unknown>;

/** Subscribes the `@OnHeldSession` handlers for each session held here, and lets go of them. */
@Injectable()
export class HeldSessions {
  private handlers: Array<{ subject: SessionRequestSubject; answer: Answer }> = [];
  private readonly held = new Map<string, TransportSubscription[]>();

  constructor(private readonly bus: Bus) {}

  /** Takes the controller's marked methods as the answers for every session held from now on. */
  serve(controller: object): void {
    const marked = (Object.getPrototypeOf(controller) as { [HANDLERS]?: Handler[] })[HANDLERS] ?? [];
    this.handlers = marked.map(({ subject, method }) => {
      const fn = (controller as Record<string | symbol, Answer>)[method];
      return { subject, answer: (sessionId, payload) => Promise.resolve(fn.call(controller, sessionId, payload)) };
    });
  }

  hold(sessionId: string): void {
    this.release(sessionId);
    this.held.set(
      sessionId,
      this.handlers.map(({ subject, answer }) =>
        this.bus.respond(subject, (payload: PayloadOf<typeof subject>) => answer(sessionId, payload) as Promise<ReplyOf<typeof subject>>, { params: [sessionId] }),
      ),
    );
  }

  release(sessionId: string): void {
    for (const subscription of this.held.get(sessionId) ?? []) subscription.unsubscribe();
    this.held.delete(sessionId);
  }
}
