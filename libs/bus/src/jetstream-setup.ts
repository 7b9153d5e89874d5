import { JetStreamManager, RetentionPolicy, StorageType, StreamConfig } from 'nats';
import { NatsTransport } from './nats.transport';

/**
 * Creates a file stream of one subject (idempotent), then runs `then` (its consumers), once
 * per process: the first call's promise is shared, and a failure lets the next call try again.
 */
export function streamSetup(
  transport: NatsTransport,
  config: { name: string; subject: string; retention: RetentionPolicy } & Partial<StreamConfig>,
  then: (jsm: JetStreamManager) => Promise<void> = async () => undefined,
): () => Promise<void> {
  let ensured: Promise<void> | undefined;
  return () => {
    ensured ??= (async () => {
      const jsm = await transport.connection.jetstreamManager();
      const { subject, ...stream } = config;
      await jsm.streams.add({ ...stream, subjects: [subject], storage: StorageType.File });
      await then(jsm);
    })().catch((error) => {
      ensured = undefined;
      throw error;
    });
    return ensured;
  };
}
