import { Logger } from '@nestjs/common';
import { Response } from 'express';
import { Bus, TransportSubscription } from '@patchbay/bus';
import { Redactor } from '@patchbay/security';
import { SseStream } from './sse-response';

/** A client this far behind (bytes written but not yet taken) is dropped; it reloads the overview when it comes back. */
const MAX_BUFFERED_BYTES = 1 << 20;

/**
 * One SSE client following the whole deployment (the dashboard's overview): each
 * session's summary as it changes (`session`), approvals asked and decided (`approval`),
 * runners' heartbeats, leaving ones too (`runner`). Events carry no id: the client reads
 * the current state over the REST API and keeps it current from here. Everything written
 * is redacted, as the session stream does.
 */
export class OverviewStream extends SseStream {
  private readonly logger = new Logger(OverviewStream.name);
  private subscriptions: TransportSubscription[] = [];

  constructor(
    private readonly bus: Bus,
    res: Response,
    private readonly redactor: Redactor,
  ) {
    super(res);
  }

  async open(): Promise<'streaming'> {
    // Subscribed before the headers go out: a client that reads the REST routes once it has
    // them misses nothing in between. Deliveries are asynchronous, so none comes before them.
    this.subscriptions = [
      this.bus.subscribe('session.*.summary', (summary) => this.write('session', summary)),
      this.bus.subscribe('approval.requested', (approval) => this.write('approval', approval)),
      this.bus.subscribe('approval.decided', (approval) => this.write('approval', approval)),
      this.bus.subscribe('runner.heartbeat', (heartbeat) => this.write('runner', heartbeat)),
    ];
    this.start('patchbay overview stream');
    return 'streaming';
  }

  protected release(): void {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
  }

  private write(name: 'session' | 'approval' | 'runner', payload: object): void {
    if (this.closed) return;
    this.res.write(`event: ${name}\ndata: ${JSON.stringify(this.redactor.redactAll(payload))}\n\n`);
    if (this.res.writableLength > MAX_BUFFERED_BYTES) {
      this.logger.warn(`an overview stream fell ${this.res.writableLength} bytes behind: closed`);
      this.close();
    }
  }
}
