import { Logger } from '@nestjs/common';
import { InboundMessageV1, newId, OutputEventV1 } from '@patchbay/contracts';
import { Database, InboundStore, SessionsStore, TasksStore, TranscriptStore } from '@patchbay/persistence';
import { createTestDatabase } from './databases';

/** The engine's stores over one fresh test database, for the store int-specs. */
export interface EngineStores {
  database: Database;
  inbound: InboundStore;
  sessions: SessionsStore;
  tasks: TasksStore;
  transcript: TranscriptStore;
}

/**
 * Creates a test database and the stores over it before the spec's tests, and drops it
 * after. The object is filled in by beforeAll: read its members inside tests only.
 */
export function useEngineStores(): EngineStores {
  const stores = {} as EngineStores;
  let testDb: { url: string; drop: () => Promise<void> } | undefined;
  let log: jest.SpyInstance;
  beforeAll(async () => {
    log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    testDb = await createTestDatabase();
    const database = await Database.connect(testDb.url);
    Object.assign(stores, {
      database,
      inbound: new InboundStore(database),
      sessions: new SessionsStore(database),
      tasks: new TasksStore(database),
      transcript: new TranscriptStore(database),
    });
  });
  afterAll(async () => {
    await stores.database?.onApplicationShutdown();
    await testDb?.drop();
    log.mockRestore();
  });
  return stores;
}

/** The routing decision for a new session: this agent, no rule. */
export const route = (agent: string) => ({ agent, name: null, reason: `default agent ${agent}` });

/** A message no test has sent before, unless `fields` says otherwise. */
export const inboundMessage = (fields: Partial<InboundMessageV1> = {}): InboundMessageV1 => ({
  channel: 'test',
  accountId: 'acct',
  messageId: newId(),
  chatId: null,
  sender: { id: 'u1', name: 'Ann' },
  text: 'fix the build',
  receivedAt: new Date().toISOString(),
  ...fields,
});

/** A text event of a run. */
export const textEvent = (sessionId: string, seq: number, text = `line ${seq}`): OutputEventV1 => ({
  type: 'text',
  text,
  sessionId,
  taskId: 'task1234',
  runId: 'run12345',
  seq,
  at: new Date().toISOString(),
});
