import { LivePatchbay } from './live-patchbay';
import { ReceivedEvent, SseFollower } from './sse-follow';
import { percentile } from './stats';

const MESSAGES = 30;

export interface TerminalInputResult {
  program: string;
  via: string;
  messages: number;
  /** The input call (POST until its reply, or `tmux send-keys` until it exits). */
  inputP50: number;
  inputP95: number;
  /** From the start of the input call until the SSE event with the echoed line. */
  echoP50: number;
  echoP95: number;
  /** Why there are no numbers. */
  failure?: string;
}

interface Program {
  label: string;
  yaml: string;
  /** The screen line that shows `echo marker-N` came back. */
  echoed: (n: number) => RegExp;
}

/** Terminal-mode programs. */
const PROGRAMS: Program[] = [
  { label: '`bash --norc -i`', yaml: 'command: bash\n    args: ["--norc", "--noprofile", "-i"]', echoed: (n) => new RegExp(`^marker-${n}$`, 'm') },
  // cat prints the line back as typed (the terminal's own echo of it looks the same).
  { label: '`cat`', yaml: 'command: cat', echoed: (n) => new RegExp(`^echo marker-${n}$`, 'm') },
];

type Send = (live: LivePatchbay, sessionId: string, chat: string, text: string) => Promise<void>;

/**
 * Three ways in. POST /api/messages to the session's chat is the chat path: gateway → engine
 * (identifies the sender, records the input) → runner → tmux paste, replying once the pane
 * changed. POST /api/sessions/:id/input is the dashboard's terminal tab: gateway → engine
 * (checks the role, audits) → runner → tmux paste. `tmux send-keys`
 * by the bench types straight into the pane: the output half alone (pipe-pane → fs.watch →
 * screen → engine stores → SSE), and numbers even when the first path fails.
 */
const INPUTS: Array<{ via: string; send: Send }> = [
  {
    via: 'POST /api/messages',
    send: async (live, _sessionId, chat, text) => {
      const accepted = await live.post(text, chat);
      if (accepted.taskId !== null) throw new Error(`not typed into the live session: it became task ${accepted.taskId}`);
    },
  },
  {
    via: 'POST /api/sessions/:id/input',
    send: async (live, sessionId, _chat, text) => {
      const typed = await live.postJson<{ delivered: boolean; detail: string }>(`/api/sessions/${sessionId}/input`, { text });
      if (!typed.delivered) throw new Error(`not typed into the live session: ${typed.detail}`);
    },
  },
  {
    via: 'tmux send-keys',
    send: async (live, sessionId, _chat, text) => {
      await live.tmux(['send-keys', '-t', `=pb-${sessionId}:`, text, 'Enter']);
    },
  },
];

/**
 * Input to a live terminal-mode session → its echo in the SSE stream: one session per
 * program, the SSE stream (no `task`) kept open, 30 `echo marker-N` one after another, each
 * timed until the event whose screen text shows the line the program printed back.
 */
export async function benchTerminalInput(): Promise<TerminalInputResult[]> {
  const results: TerminalInputResult[] = [];
  for (const program of PROGRAMS) {
    const live = await LivePatchbay.start({
      name: 'bench-input',
      yaml: `defaultAgent: term\nagents:\n  term:\n    ${program.yaml}\n    mode: terminal\n`,
    });
    let follower: SseFollower | undefined;
    try {
      const chat = 'bench-input';
      const { sessionId } = await live.post('echo marker-0', chat);
      follower = await new SseFollower(`${live.baseUrl}/api/sessions/${sessionId}/events`).open();
      await follower.waitFor((e) => screenShows(e, program.echoed(0)), 30_000);
      await delay(500);
      let n = 0;
      for (const { via, send } of INPUTS) {
        const input: number[] = [];
        const echo: number[] = [];
        let failure: string | undefined;
        for (let i = 0; i < MESSAGES && !failure; i++) {
          n++;
          const from = follower.events.length;
          const start = performance.now();
          try {
            await send(live, sessionId, chat, `echo marker-${n}`);
          } catch (error) {
            failure = (error as Error).message;
            break;
          }
          input.push(performance.now() - start);
          const event = await follower.waitFor((e) => screenShows(e, program.echoed(n)), 10_000, from);
          echo.push(event.receivedAt - start);
          // Past the screen's settle time (150 ms), so each message starts from a quiet pane.
          await delay(300);
        }
        results.push({
          program: program.label,
          via,
          messages: input.length,
          inputP50: percentile(input, 50),
          inputP95: percentile(input, 95),
          echoP50: percentile(echo, 50),
          echoP95: percentile(echo, 95),
          failure,
        });
      }
    } catch (error) {
      throw new Error(`terminal input, ${program.label}: ${(error as Error).message}\n${live.logs()}`);
    } finally {
      follower?.close();
      await live.stop();
    }
  }
  return results;
}

function screenShows(event: ReceivedEvent, line: RegExp): boolean {
  const data = event.data as { type: string; text?: string };
  return data.type === 'text' && line.test(data.text ?? '');
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
