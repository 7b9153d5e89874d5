import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { OnBusRequest } from '@patchbay/bus';
import { ByIdV1, ListQueryV1, TranscriptPageV1, TranscriptQueryV1 } from '@patchbay/contracts';
import { EngineStore, toSessionV1, toTaskV1 } from '@patchbay/persistence';
import { ENGINE_QUEUE } from './engine.constants';

/** Read access for the gateway, which has no database of its own. */
@Controller()
export class QueriesController {
  constructor(private readonly store: EngineStore) {}

  @OnBusRequest('query.sessions.list', { queue: ENGINE_QUEUE })
  async sessions(@Payload() query: ListQueryV1) {
    return { sessions: await this.store.listSessions(query.limit) };
  }

  @OnBusRequest('query.sessions.get', { queue: ENGINE_QUEUE })
  async session(@Payload() query: ByIdV1) {
    const session = await this.store.session(query.id);
    return { session: session ? toSessionV1(session) : null };
  }

  @OnBusRequest('query.tasks.list', { queue: ENGINE_QUEUE })
  async tasks(@Payload() query: ListQueryV1) {
    return { tasks: await this.store.listTasks(query.limit) };
  }

  @OnBusRequest('query.tasks.get', { queue: ENGINE_QUEUE })
  async task(@Payload() query: ByIdV1) {
    const task = await this.store.task(query.id);
    return { task: task ? { ...toTaskV1(task), history: await this.store.taskHistory(task.id) } : null };
  }

  @OnBusRequest('query.bindings', { queue: ENGINE_QUEUE })
  async bindings(@Payload() query: ByIdV1) {
    return { bindings: await this.store.bindings(query.id) };
  }

  @OnBusRequest('query.transcript', { queue: ENGINE_QUEUE })
  async transcript(@Payload() query: TranscriptQueryV1): Promise<TranscriptPageV1> {
    const session = await this.store.session(query.sessionId);
    if (!session) return { session: null, active: false, events: [] };
    const events = await this.store.transcript(query.sessionId, query.after, query.limit);
    const active = session.status === 'running' || (await this.store.oldestQueuedTask(session.id)) !== null;
    return { session: toSessionV1(session), active, events };
  }
}
