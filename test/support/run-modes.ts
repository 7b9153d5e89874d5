import { createTestDatabase } from './databases';
import { PatchbayProcesses, removeScratch, removeTmuxServer } from './patchbay-processes';
import { deleteInboundStream, NATS_URL } from './services';

/** One way to run Patchbay in an e2e suite. */
export interface RunMode {
  name: string;
  needs: Array<'nats' | 'postgres' | 'tmux'>;
  /** Roles per process: one all-in-one process, or gateway, engine and runner apart. */
  roles: string[][];
  /** Extra environment (NATS_URL, DATABASE_URL) and a cleanup. */
  prepare(): Promise<{ env: NodeJS.ProcessEnv; cleanup: () => Promise<void> }>;
}

/** All-in-one, and the three roles as separate processes over NATS and PostgreSQL. */
export const RUN_MODES: readonly RunMode[] = [
  {
    name: 'all-in-one (in-process bus, embedded PostgreSQL)',
    needs: ['tmux'],
    roles: [[]],
    prepare: async () => ({ env: {}, cleanup: async () => {} }),
  },
  {
    name: 'distributed (three processes, NATS, PostgreSQL)',
    needs: ['tmux', 'nats', 'postgres'],
    roles: [['engine'], ['runner'], ['gateway']],
    prepare: async () => {
      const db = await createTestDatabase('pb_e2e');
      return { env: { NATS_URL, DATABASE_URL: db.url }, cleanup: db.drop };
    },
  },
];

/** Stops a suite's processes, then removes what it made: database, JetStream stream, tmux server, scratch folder. */
export async function tearDownRun(run: {
  mode: RunMode;
  processes?: PatchbayProcesses;
  cleanup: () => Promise<void>;
  prefix: string;
  tmuxSocket: string;
  dir: string;
}): Promise<void> {
  await run.processes?.stop();
  await run.cleanup();
  if (run.mode.needs.includes('nats')) await deleteInboundStream(run.prefix);
  removeTmuxServer(run.tmuxSocket);
  removeScratch(run.dir);
}
