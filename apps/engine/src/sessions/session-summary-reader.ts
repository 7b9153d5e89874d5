import { Inject, Injectable } from '@nestjs/common';
import type { AgentProfile } from '@patchbay/agents';
import { SessionListQueryV1, SessionSummaryV1, SUMMARY_PROMPT_CHARS } from '@patchbay/contracts';
import { SessionsStore, SessionFilter, SessionOverview, toSessionV1 } from '@patchbay/persistence';
import { AGENT_PROFILES } from '../engine.constants';

/**
 * Reads sessions as an overview shows them (SessionSummaryV1), for the queries and for the
 * summary events alike, so both always say the same.
 */
@Injectable()
export class SessionSummaryReader {
  constructor(
    private readonly sessions: SessionsStore,
    @Inject(AGENT_PROFILES) private readonly profiles: ReadonlyMap<string, AgentProfile>,
  ) {}

  async list(query: SessionListQueryV1): Promise<SessionSummaryV1[]> {
    return this.read(query);
  }

  async one(sessionId: string): Promise<SessionSummaryV1 | null> {
    const [summary] = await this.read({ id: sessionId, limit: 1 });
    return summary ?? null;
  }

  private async read(filter: SessionFilter): Promise<SessionSummaryV1[]> {
    return (await this.sessions.sessionOverviews(filter)).map((overview) => this.summary(overview));
  }

  private summary({ session, task, bindings }: SessionOverview): SessionSummaryV1 {
    return {
      ...toSessionV1(session),
      bindings,
      task: task && {
        id: task.id,
        status: task.status,
        // Stored redacted already.
        prompt: cut(task.prompt, SUMMARY_PROMPT_CHARS),
        channel: task.channel,
        createdAt: task.createdAt.toISOString(),
        startedAt: task.startedAt?.toISOString() ?? null,
        finishedAt: task.finishedAt?.toISOString() ?? null,
      },
      model: session.model ?? this.profiles.get(session.agent)?.model ?? null,
    };
  }
}

/** The first `max` UTF-16 units of `text`, without half of a surrogate pair at the end. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}
