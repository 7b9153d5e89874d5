import { appendFileSync, existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OutputEventV1, RunRequestV1 } from '@patchbay/contracts';

/** What a run needs to be picked up again by a restarted runner. */
export interface RunMeta {
  request: RunRequestV1;
  runnerId: string;
  /** When the runner accepted it; orders queued runs after a restart. */
  acceptedAt: string;
  /** Set once tmux runs the agent; a run without it was still waiting for a slot. */
  startedAt?: string;
  /** Set when the runner stopped the run on purpose, so the end says why. */
  stop?: { code: string; text: string; by?: string };
}

const FILES = { meta: 'run.json', events: 'events.jsonl', done: 'done' } as const;

/**
 * A run's durable record in its folder: run.json, and every event the runner published,
 * written before it is published, with the byte offset of the agent's output it covers.
 * A restarted runner continues from there without losing or repeating an event.
 */
export class RunJournal {
  private constructor(
    readonly dir: string,
    private meta: RunMeta,
  ) {}

  /**
   * Makes the folder runs live in, once at start. A run's files hold its prompt and output,
   * which may be private: the runner's user alone may read them (also a folder made before).
   */
  static async prepare(runsDir: string): Promise<void> {
    await mkdir(runsDir, { recursive: true, mode: 0o700 });
    await chmod(runsDir, 0o700);
  }

  static async create(dir: string, meta: RunMeta): Promise<RunJournal> {
    // recursive: a run asked again after an engine restart finds its folder there.
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const journal = new RunJournal(dir, meta);
    await journal.saveMeta();
    return journal;
  }

  /** Runs under `runsDir` that have not finished, oldest accepted first. */
  static async unfinished(runsDir: string): Promise<Array<{ journal: RunJournal; batches: JournalBatch[] }>> {
    return RunJournal.find(runsDir, (dir) => !existsSync(join(dir, FILES.done)));
  }

  /** Every run of a session under `runsDir`, finished or not, oldest accepted first. */
  static async ofSession(runsDir: string, sessionId: string): Promise<Array<{ journal: RunJournal; batches: JournalBatch[] }>> {
    const runs = await RunJournal.find(runsDir, () => true);
    return runs.filter((r) => r.journal.request.sessionId === sessionId);
  }

  private static async find(runsDir: string, keep: (dir: string) => boolean): Promise<Array<{ journal: RunJournal; batches: JournalBatch[] }>> {
    let names: string[];
    try {
      names = await readdir(runsDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const found = [];
    for (const name of names) {
      const dir = join(runsDir, name);
      if (!existsSync(join(dir, FILES.meta)) || !keep(dir)) continue;
      const meta = JSON.parse(await readFile(join(dir, FILES.meta), 'utf8')) as RunMeta;
      found.push({ journal: new RunJournal(dir, meta), batches: await readBatches(dir) });
    }
    return found.sort((a, b) => a.journal.meta.acceptedAt.localeCompare(b.journal.meta.acceptedAt));
  }

  get request(): RunRequestV1 {
    return this.meta.request;
  }

  get startedAt(): string | undefined {
    return this.meta.startedAt;
  }

  get stop(): RunMeta['stop'] {
    return this.meta.stop;
  }

  async update(change: Partial<RunMeta>): Promise<void> {
    this.meta = { ...this.meta, ...change };
    await this.saveMeta();
  }

  /**
   * One line per batch, written in one synchronous call before the events go out: a torn
   * last line (a crash mid-write) is dropped whole and its events are produced again.
   */
  append(events: OutputEventV1[], offset: number, held?: HeldFinal): void {
    appendFileSync(join(this.dir, FILES.events), `${JSON.stringify({ events, offset, ...(held && { held }) } satisfies JournalBatch)}\n`, { mode: 0o600 });
  }

  async markDone(): Promise<void> {
    await writeFile(join(this.dir, FILES.done), new Date().toISOString(), { mode: 0o600 });
  }

  private async saveMeta(): Promise<void> {
    const tmp = join(this.dir, `${FILES.meta}.tmp`);
    await writeFile(tmp, JSON.stringify(this.meta, null, 2), { mode: 0o600 });
    await rename(tmp, join(this.dir, FILES.meta));
  }
}

/** A final answer parsed before the agent exited, not numbered yet (AgentRun holds it). */
export type HeldFinal = Omit<Extract<OutputEventV1, { type: 'final' }>, 'sessionId' | 'taskId' | 'runId' | 'seq' | 'at'>;

export interface JournalBatch {
  events: OutputEventV1[];
  /** Bytes of the agent's output fully turned into events once this batch was sent. */
  offset: number;
  /** The final answer the output up to `offset` gave, held until the agent exits. */
  held?: HeldFinal;
}

async function readBatches(dir: string): Promise<JournalBatch[]> {
  let text: string;
  try {
    text = await readFile(join(dir, FILES.events), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  // A crash can leave a half-written last line; everything before it is whole.
  return text
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as JournalBatch];
      } catch {
        return [];
      }
    });
}
