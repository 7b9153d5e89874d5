import { INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Client } from 'pg';
import { Bus, BusModule, BusServer, DirectInboundQueue, InProcessTransport } from '@patchbay/bus';
import { ConfigModule, ConfigSchema } from '@patchbay/config';
import { newId, RunRequestV1 } from '@patchbay/contracts';
import { EngineModule } from '@patchbay/engine';
import { MetricsModule, PatchbayMetrics } from '@patchbay/metrics';
import { createTestDatabase } from '../test/support/databases';
import { onCleanup } from './cleanup';
import { percentile } from './stats';

const SAMPLES = 15;
/** No new statement for this long after the run's end: the engine is done with the message. */
const QUIET_MS = 300;

/** Statements (round trips) PostgreSQL saw for one message, by milestone. */
export interface RoundTrips {
  chat: 'new chat' | 'bound chat';
  /** From the bus request to its reply: the task is queued. */
  toReply: number;
  /** Until a runner is asked to run it. */
  toRunAsked: number;
  /** Until the run's start and end are stored and the engine is quiet. */
  toFinished: number;
}

/**
 * Every statement a pg client sends is one round trip (BEGIN and COMMIT included), so
 * the count is taken at the driver: MikroORM's knex sends all its queries through it.
 */
class StatementCounter {
  count = 0;
  private last = Date.now();

  private readonly query = Client.prototype.query;

  constructor() {
    const query = this.query as (...args: unknown[]) => unknown;
    const seen = () => {
      this.count++;
      this.last = Date.now();
    };
    Client.prototype.query = function (this: Client, ...args: unknown[]) {
      seen();
      return query.apply(this, args);
    } as typeof Client.prototype.query;
  }

  restore(): void {
    Client.prototype.query = this.query;
  }

  async quiet(): Promise<void> {
    while (Date.now() - this.last < QUIET_MS) await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * One plain message, counted in an in-process engine (in-process bus, a test database,
 * a fake runner that starts the run and ends it at once), for a chat's first message
 * (which opens its session) and for a message to a bound chat. Medians of SAMPLES each:
 * the engine's recovery sweep (every 5 s) adds its statements to the sample it falls in.
 */
export async function benchRoundTrips(): Promise<RoundTrips[]> {
  const db = await createTestDatabase('pb_bench');
  const bus = new Bus(new InProcessTransport(), { prefix: `pbbench${newId(6)}`, requestTimeoutMs: 10_000 });
  let app: INestMicroservice | undefined;
  let counter: StatementCounter | undefined;
  const release = onCleanup(async () => {
    counter?.restore();
    await app?.close();
    await bus.close();
    await db.drop();
  });
  try {
    const config = ConfigSchema.parse({ home: '/tmp/pb-bench-db', defaultAgent: 'demo', access: { owners: ['local:*'] } });
    @Module({
      imports: [
        ConfigModule.forRoot(config),
        BusModule.forRoot({ bus, inbound: new DirectInboundQueue(bus) }),
        MetricsModule.forRoot({ metrics: new PatchbayMetrics('bench-db'), distributed: false, answerScrapes: false }),
        EngineModule.forRoot({ databaseUrl: db.url }),
      ],
    })
    class BenchEngine {}
    app = await NestFactory.createMicroservice(BenchEngine, { strategy: new BusServer(bus), logger: false });
    await app.listen();
    const statements = (counter = new StatementCounter());
    let asked: ((request: RunRequestV1) => void) | undefined;
    bus.respond(
      'runner.run',
      async (request) => {
        asked?.(request);
        const base = { sessionId: request.sessionId, taskId: request.taskId, runId: request.runId, at: new Date().toISOString() };
        setImmediate(() => {
          bus.publish('session.*.output', { ...base, seq: request.nextSeq, type: 'status', state: 'started', text: 'started' }, [request.sessionId]);
          bus.publish('session.*.output', { ...base, seq: request.nextSeq + 1, type: 'final', text: 'done', durationMs: 1, exitCode: 0 }, [request.sessionId]);
        });
        return { runnerId: 'bench-runner', tmuxSession: `pb-${request.sessionId}`, position: 0 };
      },
      { queue: 'runners' },
    );

    const one = async (chatId: string): Promise<Omit<RoundTrips, 'chat'>> => {
      await statements.quiet();
      const runAsked = new Promise<number>((resolve) => (asked = () => resolve(statements.count - start)));
      const start = statements.count;
      await bus.request('inbound.message', {
        channel: 'local',
        accountId: 'local',
        messageId: newId(),
        chatId,
        sender: { id: 'bench', name: 'bench' },
        text: 'fix the build',
        receivedAt: new Date().toISOString(),
      });
      const toReply = statements.count - start;
      const toRunAsked = await runAsked;
      await statements.quiet();
      return { toReply, toRunAsked, toFinished: statements.count - start };
    };

    // The first message pays for first use (the ORM's metadata, the pool's connections).
    await one(`warmup-${newId()}`);
    const fresh: Array<Omit<RoundTrips, 'chat'>> = [];
    const bound: Array<Omit<RoundTrips, 'chat'>> = [];
    for (let i = 0; i < SAMPLES; i++) {
      const chatId = `chat-${newId()}`;
      fresh.push(await one(chatId));
      bound.push(await one(chatId));
    }
    const median = (chat: RoundTrips['chat'], samples: Array<Omit<RoundTrips, 'chat'>>): RoundTrips => ({
      chat,
      toReply: percentile(
        samples.map((s) => s.toReply),
        50,
      ),
      toRunAsked: percentile(
        samples.map((s) => s.toRunAsked),
        50,
      ),
      toFinished: percentile(
        samples.map((s) => s.toFinished),
        50,
      ),
    });
    return [median('new chat', fresh), median('bound chat', bound)];
  } finally {
    await release();
  }
}
