import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { OnBusRequest } from '@patchbay/bus';
import { ByIdV1, ListQueryV1, QueueDepthV1, SessionListQueryV1, SessionSummaryFoundV1, SessionSummaryListV1, TranscriptPageV1, TranscriptQueryV1 } from '@patchbay/contracts';
import { SessionsStore, TasksStore, TranscriptStore, toSessionV1, toTaskV1 } from '@patchbay/persistence';
import { ENGINE_QUEUE } from './engine.constants';
import { SessionSummaryReader } from './sessions/session-summary-reader';

/** Read access for the gateway, which has no database of its own. */
@Controller()
export class QueriesController {
  constructor(
    private readonly sessionsStore: SessionsStore,
    private readonly tasksStore: TasksStore,
    private readonly transcriptStore: TranscriptStore,
    private readonly summaries: SessionSummaryReader,
  ) {}

  @OnBusRequest('query.sessions.list', { queue: ENGINE_QUEUE })
  async sessions(@Payload() query: SessionListQueryV1): Promise<SessionSummaryListV1> {
    return { sessions: await this.summaries.list(query) };
  }

  @OnBusRequest('query.sessions.get', { queue: ENGINE_QUEUE })
  async session(@Payload() query: ByIdV1): Promise<SessionSummaryFoundV1> {
    return { session: await this.summaries.one(query.id) };
  }

  @OnBusRequest('query.tasks.queued', { queue: ENGINE_QUEUE })
  async queued(): Promise<QueueDepthV1> {
    return { queued: (await this.tasksStore.taskCounts()).queued ?? 0 };
  }

  @OnBusRequest('query.tasks.list', { queue: ENGINE_QUEUE })
  async tasks(@Payload() query: ListQueryV1) {
    return { tasks: await this.tasksStore.listTasks(query.limit) };
  }

  @OnBusRequest('query.tasks.get', { queue: ENGINE_QUEUE })
  async task(@Payload() query: ByIdV1) {
    const task = await this.tasksStore.task(query.id);
    return { task: task ? { ...toTaskV1(task), history: await this.tasksStore.taskHistory(task.id) } : null };
  }

  @OnBusRequest('query.bindings', { queue: ENGINE_QUEUE })
  async bindings(@Payload() query: ByIdV1) {
    return { bindings: await this.sessionsStore.bindings(query.id) };
  }

  @OnBusRequest('query.transcript', { queue: ENGINE_QUEUE })
  async transcript(@Payload() query: TranscriptQueryV1): Promise<TranscriptPageV1> {
    const session = await this.sessionsStore.session(query.sessionId);
    if (!session) return { session: null, active: false, events: [] };
    const events = await this.transcriptStore.transcript(query.sessionId, query.after, query.limit);
    const active = session.status === 'running' || (await this.tasksStore.oldestQueuedTask(session.id)) !== null;
    return { session: toSessionV1(session), active, events };
  }
}
