import { CustomTransportStrategy, EventPattern, MessagePattern, Server, BaseRpcContext } from '@nestjs/microservices';
import { contracts, EventSubject, RequestSubject } from '@patchbay/contracts';
import { lastValueFrom } from 'rxjs';
import { Bus } from './bus';
import { TransportSubscription } from './bus.transport';

/** Handler for an event subject; `queue` makes it one member of a queue group. */
export const OnBusEvent = (subject: EventSubject, options: { queue?: string } = {}) => EventPattern(subject, options);

/** Handler for a request subject; what it returns is the reply. */
export const OnBusRequest = (subject: RequestSubject, options: { queue?: string } = {}) => MessagePattern(subject, options);

export class BusContext extends BaseRpcContext<[string]> {
  get subject(): string {
    return this.args[0];
  }
}

/**
 * A NestJS microservice transport over our Bus, so controllers declare handlers with
 * @OnBusEvent / @OnBusRequest and Nest's pipes, guards and exception filters apply, on the
 * in-process bus and on NATS alike.
 */
export class BusServer extends Server implements CustomTransportStrategy {
  private subscriptions: TransportSubscription[] = [];

  constructor(private readonly bus: Bus) {
    super();
  }

  listen(callback: (...optionalParams: unknown[]) => unknown): void {
    for (const [pattern, handler] of this.messageHandlers) {
      if (!(pattern in contracts)) {
        throw new Error(`bus handler for "${pattern}": not a subject in libs/contracts/src/subjects.ts`);
      }
      const queue = handler.extras?.queue as string | undefined;
      const invoke = async (payload: unknown, wireSubject: string) => {
        const result = await handler(payload, new BusContext([wireSubject]));
        return lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
      };
      this.subscriptions.push(
        handler.isEventHandler ? this.bus.subscribe(pattern as EventSubject, invoke, { queue }) : this.bus.respond(pattern as RequestSubject, invoke, { queue }),
      );
    }
    callback();
  }

  /** Stops taking messages and waits for the handlers already at work (shutdown). */
  async close(): Promise<void> {
    const subscriptions = this.subscriptions;
    this.subscriptions = [];
    await Promise.all(subscriptions.map((sub) => sub.drain()));
  }

  on(): never {
    throw new Error('BusServer has no transport events to listen to');
  }

  unwrap<T>(): T {
    return this.bus as T;
  }
}
