import { Injectable } from '@nestjs/common';
import { OutputEventV1 } from '@patchbay/contracts';
import { Database } from './database';
import { TranscriptEntryEntity } from './entities';
import { OPEN_TASK } from './tasks.store';

/** A session's transcript: the output events of its runs, in seq order. Each call uses its own unit of work. */
@Injectable()
export class TranscriptStore {
  constructor(private readonly database: Database) {}

  /**
   * Stores an output event once; false when (session, seq) was already stored, or when its
   * run's end is stored and its task closed: a run given up (the store failed on one of its
   * events) may still talk until its runner kills it, and its session has moved on.
   */
  async appendEvent(event: OutputEventV1): Promise<boolean> {
    // One statement: the entry, and the session's lastSeq raised (never lowered) when it was stored.
    const rows: Array<{ stored: number }> = await this.database.em().execute(
      `with "stored" as (
         insert into "transcript_entry" ("session_id", "seq", "task_id", "type", "event", "created_at")
           select ?, ?, ?, ?, ?::jsonb, now()
            where not exists (
              select 1 from "task" t join "transcript_entry" e on e."session_id" = ? and e."task_id" = t."id"
               where t."id" = ? and t."status" not in (${OPEN_TASK.map(() => '?').join(', ')})
                 and e."type" in ('final', 'error') and e."event"->>'runId' = ?)
         on conflict ("session_id", "seq") do nothing
         returning "seq"),
       "raised" as (
         update "session" set "last_seq" = "stored"."seq", "updated_at" = now() from "stored"
          where "id" = ? and "last_seq" < "stored"."seq")
       select count(*)::int as "stored" from "stored"`,
      [event.sessionId, event.seq, event.taskId, event.type, JSON.stringify(event), event.sessionId, event.taskId, ...OPEN_TASK, event.runId, event.sessionId],
    );
    return rows[0].stored === 1;
  }

  async transcript(sessionId: string, after: number, limit: number): Promise<OutputEventV1[]> {
    const rows = await this.database.em().find(TranscriptEntryEntity, { sessionId, seq: { $gt: after } }, { orderBy: { seq: 'asc' }, limit });
    return rows.map((r) => r.event);
  }
}
