import { createTestDatabase } from '../test/support/databases';
import { GATED_AGENT } from '../test/support/patchbay-processes';
import { readSse } from '../test/support/sse';
import { onCleanup } from './cleanup';
import { LivePatchbay } from './live-patchbay';
import { percentile } from './stats';

const MESSAGES = 20;

export interface FlowResult {
  mode: string;
  firstEventP50: number;
  firstEventP95: number;
  firstOutputP50: number;
  firstOutputP95: number;
}

/**
 * Message in → first output event, through real Patchbay processes: POST /api/messages,
 * then the SSE stream; "first event" is the runner's status, "first output" the agent's text.
 */
export async function benchFlow(mode: 'all-in-one' | 'distributed', natsUrl: string | null): Promise<FlowResult> {
  const db = mode === 'distributed' ? await createTestDatabase('pb_bench') : null;
  const dropDb = onCleanup(async () => db?.drop());
  try {
    const live = await LivePatchbay.start({
      name: 'bench',
      yaml: `defaultAgent: quick\nagents:\n  quick:\n    command: ${process.execPath}\n    args: [${JSON.stringify(GATED_AGENT)}, "{prompt}"]\n`,
      roles: mode === 'distributed' ? [['engine'], ['runner'], ['gateway']] : [[]],
      ...(db ? { natsUrl: natsUrl!, databaseUrl: db.url } : {}),
    });
    try {
      return await measure(mode, live);
    } finally {
      await live.stop();
    }
  } finally {
    await dropDb();
  }
}

async function measure(mode: string, live: LivePatchbay): Promise<FlowResult> {
  const firstEvent: number[] = [];
  const firstOutput: number[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const start = performance.now();
    const { sessionId, taskId } = await live.post(`bench ${i}`);
    let sawEvent = false;
    let sawOutput = false;
    await readSse(`${live.baseUrl}/api/sessions/${sessionId}/events?task=${taskId}`, {
      onEvent: ({ data }) => {
        const now = performance.now() - start;
        if (!sawEvent) firstEvent.push(now);
        sawEvent = true;
        if (!sawOutput && (data as { type: string }).type === 'text') {
          firstOutput.push(now);
          sawOutput = true;
        }
      },
    });
  }
  return {
    mode,
    firstEventP50: percentile(firstEvent, 50),
    firstEventP95: percentile(firstEvent, 95),
    firstOutputP50: percentile(firstOutput, 50),
    firstOutputP95: percentile(firstOutput, 95),
  };
}
