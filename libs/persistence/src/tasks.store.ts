import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { BindingV1, newId, TaskStatus, TaskV1 } from '@patchbay/contracts';
import { Database } from './database';
import { TaskEntity, TaskTransitionEntity } from './entities';

/** The statuses of a task not yet closed. */
export const OPEN_TASK: TaskStatus[] = ['new', 'routed', 'queued', 'running'];

/** A message that became (or already was) a task. */
export interface TaskAccepted {
  taskId: string;
  sessionId: string;
  duplicate: boolean;
  outcome: 'task';
  /** The message opened the session and bound its chat to it: that one binding is all the session has. */
  bound?: BindingV1;
}

/** A task to queue: whose it is, what it asks, where it came from. */
export interface NewTask {
  sessionId: string;
  agent: string;
  prompt: string;
  channel: string;
  chatId: string | null;
  route?: string | null;
}

/**
 * Creates a queued task in `em` (the caller flushes, in its own transaction). A task is
 * created routed and queued at once; its history says so, why (`reason`), and who asked (`by`).
 */
export function queueTaskIn(em: EntityManager, fields: NewTask, reason: string, by: string): TaskEntity {
  const task = em.create(TaskEntity, { id: newId(), status: 'queued', ...fields, route: fields.route ?? null });
  const at = new Date();
  em.create(TaskTransitionEntity, { taskId: task.id, fromStatus: null, toStatus: 'new', at, reason: null, by });
  em.create(TaskTransitionEntity, { taskId: task.id, fromStatus: 'new', toStatus: 'routed', at, reason });
  em.create(TaskTransitionEntity, { taskId: task.id, fromStatus: 'routed', toStatus: 'queued', at, reason: null });
  return task;
}

/** Tasks: their queue, their runs, how they end, and their history. Each call uses its own unit of work. */
@Injectable()
export class TasksStore {
  constructor(private readonly database: Database) {}

  async task(id: string): Promise<TaskEntity | null> {
    return this.database.em().findOne(TaskEntity, id);
  }

  async listTasks(limit: number): Promise<TaskV1[]> {
    const rows = await this.database.em().find(TaskEntity, {}, { orderBy: { createdAt: 'desc' }, limit });
    return rows.map(toTaskV1);
  }

  async oldestQueuedTask(sessionId: string): Promise<TaskEntity | null> {
    return this.database.em().findOne(TaskEntity, { sessionId, status: 'queued' }, { orderBy: { createdAt: 'asc' } });
  }

  /** The session's newest task. */
  async lastTask(sessionId: string): Promise<TaskEntity | null> {
    return this.database.em().findOne(TaskEntity, { sessionId }, { orderBy: { createdAt: 'desc' } });
  }

  /** How many of the session's tasks, older than this one, are queued or running: its place in line. */
  async tasksAhead(sessionId: string, taskId: string): Promise<number> {
    // One statement: the task's own row gives the time to count from (none: nothing ahead).
    const rows: Array<{ ahead: number }> = await this.database.em().execute(
      `select count(*)::int as "ahead" from "task" me join "task" t on t."session_id" = ? and t."id" <> me."id" and t."created_at" < me."created_at"
        where me."id" = ? and t."status" in ('running', 'queued')`,
      [sessionId, taskId],
    );
    return rows[0].ahead;
  }

  /** The task a running session is working on (running, or queued on a runner's line). */
  async runningTask(sessionId: string): Promise<TaskEntity | null> {
    return this.database.em().findOne(TaskEntity, { sessionId, status: { $in: ['running', 'queued'] }, runId: { $ne: null } }, { orderBy: { createdAt: 'asc' } });
  }

  /** How many tasks are in each status (the tasks gauge of /metrics). */
  async taskCounts(): Promise<Record<string, number>> {
    const rows: Array<{ status: string; count: string | number }> = await this.database.em().getConnection().execute('select status, count(*) as count from task group by status');
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.count)]));
  }

  /** A runner is asked to run the task: one more attempt, unless it is the same run asked again. */
  async assignRun(taskId: string, runId: string): Promise<void> {
    await this.database
      .em()
      .getConnection()
      .execute(`update "task" set "attempts" = "attempts" + case when "run_id" is distinct from ? then 1 else 0 end, "run_id" = ?, "updated_at" = now() where "id" = ?`, [
        runId,
        runId,
        taskId,
      ]);
  }

  /** The agent runs: the task leaves the queue. */
  async taskRunning(taskId: string): Promise<void> {
    await this.transition(taskId, ['queued'], 'running', 'the agent started', { startedAt: new Date() });
  }

  /** Closes an open task; a task already closed keeps its first outcome. `by`: who stopped it, if someone did. */
  async finishTask(taskId: string, status: 'done' | 'failed' | 'blocked' | 'cancelled' | 'needs_review', error: string | null, by: string | null = null): Promise<boolean> {
    return this.transition(taskId, OPEN_TASK, status, error, { error, finishedAt: new Date() }, by);
  }

  /** Puts a task back in its session's queue for another attempt, maybe with another agent. */
  async retryTask(taskId: string, reason: string, agent?: string): Promise<boolean> {
    return this.transition(taskId, ['queued', 'running'], 'queued', reason, { runId: null, ...(agent ? { agent } : {}) });
  }

  /** A failed or stopped task back in the queue (`/retry`), with a fresh count of attempts. */
  async requeueTask(taskId: string, reason: string, by: string): Promise<boolean> {
    return this.transition(taskId, ['failed', 'cancelled'], 'queued', reason, { runId: null, error: null, finishedAt: null, attempts: 0 }, by);
  }

  async taskHistory(taskId: string): Promise<NonNullable<TaskV1['history']>> {
    const rows = await this.database.em().find(TaskTransitionEntity, { taskId }, { orderBy: { id: 'asc' } });
    return rows.map((r) => ({ from: r.fromStatus, to: r.toStatus, at: r.at.toISOString(), reason: r.reason, by: r.by }));
  }

  /**
   * Moves a task from one of `from` to `to`, recording the change in its history. False
   * when the task is in none of `from` (someone else moved it first). One statement, so one
   * round trip and atomic: the row is locked, changed and its history row written together.
   */
  private async transition(
    taskId: string,
    from: TaskStatus[],
    to: TaskStatus,
    reason: string | null,
    change: Partial<TaskEntity> = {},
    by: string | null = null,
  ): Promise<boolean> {
    const em = this.database.em();
    const properties = em.getMetadata().get(TaskEntity.name).properties as Record<string, { fieldNames: string[] }>;
    const changes = Object.entries({ ...change, status: to, updatedAt: new Date() });
    const sets = changes.map(([key]) => `"${properties[key].fieldNames[0]}" = ?`).join(', ');
    const rows: Array<{ moved: number }> = await em.execute(
      `with "old" as (select "id", "status" from "task" where "id" = ? and "status" in (${from.map(() => '?').join(', ')}) for update),
            "moved" as (update "task" t set ${sets} from "old" where t."id" = "old"."id" returning "old"."status" as "from_status"),
            "logged" as (insert into "task_transition" ("task_id", "from_status", "to_status", "at", "reason", "by")
                         select ?, "from_status", ?, ?, ?, ? from "moved")
       select count(*)::int as "moved" from "moved"`,
      [taskId, ...from, ...changes.map(([, value]) => value), taskId, to, new Date(), reason, by],
    );
    return rows[0].moved === 1;
  }
}

export function toTaskV1(t: TaskEntity): TaskV1 {
  return {
    id: t.id,
    sessionId: t.sessionId,
    status: t.status,
    agent: t.agent,
    prompt: t.prompt,
    channel: t.channel,
    chatId: t.chatId,
    error: t.error,
    runId: t.runId,
    attempts: t.attempts,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
    startedAt: t.startedAt?.toISOString() ?? null,
    finishedAt: t.finishedAt?.toISOString() ?? null,
  };
}
