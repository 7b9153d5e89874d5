import type { Delivery, OutputEventV1 } from '@patchbay/contracts';
import { ChannelCapabilities, ChannelTransport, OutboundMessage } from '../channel/channel';
import { ChatRenderer } from '../render/chat-renderer';
import type { RendererClock } from '../render/clock';
import { openFenceAfter, openFenceAt } from '../render/split';
import { maxPerWindow } from './memory-transport';
import { OutputEvents, RunEvents } from './output-events';
import { VirtualClock } from './virtual-clock';
import { prng } from './prng';

/** What a plugin's spec gives the kit: its transport on a fake platform, and a look at the chat. */
export interface ConformanceTarget {
  plugin: ChannelTransport & { readonly capabilities: ChannelCapabilities };
  chatId: string;
  /**
   * What the fake platform's chat shows now, oldest first, as the text the plugin was given
   * (a plugin that converts markdown gives back the markdown).
   */
  messages(): Promise<Array<{ id: string; text: string }>>;
  /** Makes the fake answer the next call with a 429 and this retry_after. */
  rateLimitNext?(retryAfterMs: number): void | Promise<void>;
  teardown(): void | Promise<void>;
}

/** What the kit gives setup: the virtual time the renderer runs on (a fake may use it too). */
export interface ConformanceContext {
  clock: RendererClock;
}

export interface ConformanceOptions {
  /** The delivery modes to check (all three by default). */
  deliveries?: Delivery[];
  /** Check the 429 path (default true; needs `rateLimitNext`). */
  rateLimit?: boolean;
}

/**
 * The conformance suite of a channel plugin: a ChatRenderer drives the plugin's transport
 * against its fake platform with scripted runs — a ~10 KB answer with code blocks streamed
 * as hundreds of small deltas between tool calls, a run whose stream missed a part, a
 * failed run, an error after a final, two runs in a row, a forced 429 — and the kit checks
 * what the fake's chat shows: every message within maxMessageLength and not empty, code
 * fences balanced in every message, the messages joined (less the fence lines added where a
 * code block was cut) equal to the expected rendering, the final answer exactly once, the
 * calls within the rate budget, retry_after honoured. Call it from the plugin's spec.
 */
export function channelConformance(name: string, setup: (context: ConformanceContext) => ConformanceTarget | Promise<ConformanceTarget>, options: ConformanceOptions = {}): void {
  const deliveries = options.deliveries ?? ['live', 'append', 'final'];
  describe(`${name} (channel conformance)`, () => {
    let clock: VirtualClock;
    let target: ConformanceTarget;
    let calls: RecordedCall[];
    let logs: string[];

    beforeEach(async () => {
      clock = new VirtualClock(Date.UTC(2030, 0, 1));
      calls = [];
      logs = [];
      target = await setup({ clock });
    });

    afterEach(async () => {
      await target.teardown();
    });

    /** A renderer on a recording wrapper of the plugin (every call and its outcome noted). */
    function renderer(delivery: Delivery): ChatRenderer {
      const { plugin } = target;
      const record = async <T>(kind: 'send' | 'edit', text: string, call: () => Promise<T>): Promise<T> => {
        const entry: RecordedCall = { at: clock.now(), kind, text };
        calls.push(entry);
        try {
          return await call();
        } catch (error) {
          entry.error = error;
          throw error;
        }
      };
      const transport: ChannelTransport = {
        send: (chatId: string, message: OutboundMessage) => record('send', message.text, () => plugin.send(chatId, message)),
        edit: (chatId: string, messageId: string, message: OutboundMessage) => record('edit', message.text, () => plugin.edit(chatId, messageId, message)),
      };
      const logger = { warn: (m: string) => logs.push(`warn: ${m}`), error: (m: string) => logs.push(`error: ${m}`) };
      return new ChatRenderer({ transport, chatId: target.chatId, capabilities: plugin.capabilities, delivery, clock, logger });
    }

    async function play(delivery: Delivery, steps: Step[], beforeFinal?: () => Promise<void>): Promise<string[]> {
      const r = renderer(delivery);
      for (const step of steps) {
        await clock.advance(step.gapMs);
        if (step.event.type === 'final' && beforeFinal) await beforeFinal();
        r.push(step.event);
      }
      await clock.run(r.idle());
      const texts = (await target.messages()).map((m) => m.text);
      checkMessages(texts, target.plugin.capabilities);
      // What the chat showed on the way too: every text sent or edited to.
      checkMessages(
        calls.map((c) => c.text),
        target.plugin.capabilities,
        'call',
      );
      checkBudget(calls, target.plugin.capabilities);
      return texts;
    }

    function expectShows(texts: string[], expected: string): void {
      if (!joinsTo(texts, expected)) {
        throw new Error(
          `the chat does not show the expected text.\n--- expected (${expected.length} chars):\n${clip(expected)}\n--- messages:\n${texts
            .map((t, i) => `[${i}] (${t.length} chars) ${clip(t)}`)
            .join('\n')}\n--- renderer log:\n${logs.join('\n') || '(empty)'}`,
        );
      }
    }

    for (const delivery of deliveries) {
      describe(`delivery ${delivery}`, () => {
        it('shows a long streamed run: messages within the limit, code blocks balanced, the text as rendered, the answer once', async () => {
          const run = mainRun(new OutputEvents().run('kitrun01'));
          const texts = await play(delivery, run.steps);
          const expected = delivery === 'final' ? run.answer : run.rendering;
          expectShows(texts, expected);
          expect(count(texts.join(''), ANSWER_END)).toBe(1);
        });

        if (options.rateLimit !== false) {
          it('finishes the run after 429s, waiting as long as told, the answer once', async () => {
            const rateLimitNext = target.rateLimitNext?.bind(target);
            if (!rateLimitNext) throw new Error('setup gave no rateLimitNext: add one, or pass { rateLimit: false }');
            const run = mainRun(new OutputEvents().run('kitrun02'));
            await rateLimitNext(7_000);
            const texts = await play(delivery, run.steps, async () => void (await rateLimitNext(4_000)));
            expectShows(texts, delivery === 'final' ? run.answer : run.rendering);
            expect(count(texts.join(''), ANSWER_END)).toBe(1);
            const limited = calls.filter((c) => retryAfterOf(c.error) !== null);
            expect(limited.length).toBeGreaterThanOrEqual(1);
            for (const call of limited) {
              const next = calls[calls.indexOf(call) + 1];
              if (next) expect(next.at - call.at).toBeGreaterThanOrEqual(retryAfterOf(call.error)!);
            }
          });
        }

        it('shows the final answer whole when the stream missed part of it', async () => {
          const run = mainRun(new OutputEvents().run('kitrun03'), { dropDeltas: [60, 90] });
          const texts = await play(delivery, run.steps);
          if (delivery === 'final') expectShows(texts, run.answer);
          else if (delivery === 'live' && target.plugin.capabilities.edit) expectShows(texts, run.rendering);
          else if (!joinsTo(texts, run.rendering)) {
            // When the stream was sent past the hole, sent messages cannot be taken back: what
            // streamed stands, and the answer comes again whole, in messages of its own.
            const from = texts.findIndex((_, k) => k > 0 && joinsTo(texts.slice(k), run.answer));
            expect(from).toBeGreaterThan(0);
            expect(joinsToPrefix(texts.slice(0, from), run.streamed)).toBe(true);
          }
        });

        it('ends a failed run with its error line after what it showed', async () => {
          const run04 = new OutputEvents().run('kitrun04');
          const steps = [step(0, run04.text('Working on it.')), step(50, run04.tool('Bash', 'make')), step(400, run04.error('agent_failed', 'agent demo exited with status 2'))];
          const texts = await play(delivery, steps);
          const line = '⚠ Error (agent_failed): agent demo exited with status 2';
          expectShows(texts, delivery === 'final' ? line : `Working on it.\n▸ Bash: make\n${line}`);
        });

        it('tells an error after the final answer in a message of its own, leaving the answer as it was', async () => {
          const run05 = new OutputEvents().run('kitrun05');
          const steps = [step(0, run05.text('All done.')), step(100, run05.final('All done.')), step(100, run05.error('runner_lost', 'runner kit stopped answering'))];
          const texts = await play(delivery, steps);
          expect(texts).toEqual(['All done.', '⚠ Error (runner_lost): runner kit stopped answering']);
        });

        it('starts the next run in a new message', async () => {
          const events = new OutputEvents();
          const [run06, run07] = [events.run('kitrun06'), events.run('kitrun07')];
          const steps = [
            step(0, run06.text('Hello from run one.')),
            step(100, run06.final('Hello from run one.')),
            step(100, run07.text('Hello from run two.')),
            step(100, run07.final('Hello from run two.')),
          ];
          const texts = await play(delivery, steps);
          expect(texts).toEqual(['Hello from run one.', 'Hello from run two.']);
        });
      });
    }
  });
}

/**
 * True when `messages`, read in order, carry exactly `expected`: each one the next piece
 * of it, except for the fence lines added where a code block had to be cut (closed at the
 * end of one message, reopened with its language at the start of the next).
 */
export function joinsTo(messages: readonly string[], expected: string): boolean {
  return matches(messages, expected, false);
}

/** joinsTo for the start of `text`: the messages carry some prefix of it (ending at a cut). */
export function joinsToPrefix(messages: readonly string[], text: string): boolean {
  return matches(messages, text, true);
}

function matches(messages: readonly string[], expected: string, prefix: boolean): boolean {
  const tried = new Set<string>();
  const from = (i: number, p: number): boolean => {
    if (i === messages.length) return prefix || p === expected.length;
    if (tried.has(`${i}:${p}`)) return false;
    tried.add(`${i}:${p}`);
    let body = messages[i];
    const open = openFenceAt(expected, p);
    if (open) {
      if (!body.startsWith(`${open.opener}\n`)) return false;
      body = body.slice(open.opener.length + 1);
    }
    if (!body) return false;
    // The piece as it is, ending outside any code block.
    if (expected.startsWith(body, p) && !openFenceAt(expected, p + body.length) && from(i + 1, p + body.length)) return true;
    // The piece with a closing fence line added.
    const marker = /`{3,}$/.exec(body)?.[0];
    if (marker) {
      for (const close of [marker, `\n${marker}`]) {
        if (!body.endsWith(close)) continue;
        const piece = body.slice(0, -close.length);
        if (!piece || (close === marker) !== piece.endsWith('\n')) continue;
        const q = p + piece.length;
        if (expected.startsWith(piece, p) && openFenceAt(expected, q)?.marker === marker && from(i + 1, q)) return true;
      }
    }
    return false;
  };
  return from(0, 0);
}

/** Every message (or call's text) within the limit, not blank, its code fences balanced. */
function checkMessages(texts: string[], capabilities: ChannelCapabilities, what = 'message'): void {
  for (const [i, text] of texts.entries()) {
    if (text.length > capabilities.maxMessageLength) throw new Error(`${what} ${i} has ${text.length} characters, over the limit of ${capabilities.maxMessageLength}`);
    if (!text.trim()) throw new Error(`${what} ${i} is blank`);
    if (openFenceAfter(text)) throw new Error(`${what} ${i} leaves a code block open:\n${clip(text)}`);
  }
}

function checkBudget(calls: RecordedCall[], capabilities: ChannelCapabilities): void {
  const { perChat, windowMs } = capabilities.rateBudget;
  const most = maxPerWindow(
    calls.map((c) => c.at),
    windowMs,
  );
  if (most > perChat) throw new Error(`${most} calls within ${windowMs} ms, over the budget of ${perChat}`);
}

interface RecordedCall {
  at: number;
  kind: 'send' | 'edit';
  text: string;
  error?: unknown;
}

function retryAfterOf(error: unknown): number | null {
  if (error instanceof Error && error.name === 'RateLimitedError') {
    const ms = (error as { retryAfterMs?: unknown }).retryAfterMs;
    if (typeof ms === 'number') return ms;
  }
  return null;
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

function clip(text: string): string {
  return text.length > 600 ? `${text.slice(0, 300)} … ${text.slice(-300)}` : text;
}

// ---- the scripted session --------------------------------------------------------------

/** The last words of the long answer: found once in the chat when the answer shows once. */
const ANSWER_END = 'That is the whole answer (end of answer 7f3a).';

interface Step {
  gapMs: number;
  event: OutputEventV1;
}

function step(gapMs: number, event: OutputEventV1): Step {
  return { gapMs, event };
}

/**
 * The long run: statuses (two shown, one not), some text, three tool calls (one with a
 * multi-line input), then a ~10 KB answer streamed in small deltas, then its final.
 * `dropDeltas` leaves out the deltas in [from, to) (the final still carries all of it).
 */
function mainRun(r: RunEvents, { dropDeltas }: { dropDeltas?: [number, number] } = {}): { steps: Step[]; answer: string; rendering: string; streamed: string } {
  const random = prng(7);
  const answer = longAnswer(random);
  const steps: Step[] = [
    step(0, r.status('waiting for a free slot on runner kit: position 1 in line', 'waiting')),
    step(900, r.status('started agent demo in tmux session pb-kit on runner kit', 'started')),
    step(200, r.status('thinking about the request')),
    step(300, r.text('Let me look ')),
    step(40, r.text('at the project ')),
    step(40, r.text('first.')),
    step(500, r.tool('Bash', 'ls -la')),
    step(700, r.toolResult('Bash', 'total 8\ndrwxr-xr-x  src')),
    step(100, r.tool('Read', 'src/main.ts')),
    step(300, r.tool('Bash', "cat <<'EOF' > notes.txt\nhello\nEOF")),
  ];
  const prefix =
    '⏳ waiting for a free slot on runner kit: position 1 in line\n' +
    '▶ started agent demo in tmux session pb-kit on runner kit\n' +
    'Let me look at the project first.\n' +
    '▸ Bash: ls -la\n' +
    '▸ Read: src/main.ts\n' +
    "▸ Bash: cat <<'EOF' > notes.txt hello EOF\n";
  const deltas = cutIntoDeltas(answer, random);
  const streamed: string[] = [];
  deltas.forEach((delta, k) => {
    if (dropDeltas && k >= dropDeltas[0] && k < dropDeltas[1]) return;
    streamed.push(delta);
    steps.push(step(k === 0 ? 800 : 10 + Math.floor(random() * 140), r.text(delta)));
  });
  steps.push(step(600, r.final(answer)));
  return { steps, answer, rendering: prefix + answer, streamed: prefix + streamed.join('') };
}

/** About 10 KB of markdown: headings, paragraphs, lists, emoji and CJK, five code blocks (one over 2,000 characters). */
function longAnswer(random: () => number): string {
  const words = ['renderer', 'message', 'chat', 'edit', 'limit', 'budget', 'fence', 'stream', 'answer', 'session', 'agent', 'tool', 'output', 'delta', 'split', 'platform'];
  const sentence = () => {
    const n = 6 + Math.floor(random() * 10);
    const ws = Array.from({ length: n }, () => words[Math.floor(random() * words.length)]);
    ws[0] = ws[0][0].toUpperCase() + ws[0].slice(1);
    return `${ws.join(' ')}${['.', '!', '?', '.'][Math.floor(random() * 4)]}`;
  };
  const paragraph = (n: number) => Array.from({ length: n }, sentence).join(' ');
  const code = Array.from({ length: 45 }, (_, i) => `  const value${i} = compute(${i}, "item-${i}"); // step ${i}`).join('\n');
  const json = JSON.stringify(
    Array.from({ length: 40 }, (_, i) => ({ id: i, name: `entry ${i}`, tags: ['alpha', 'beta'], ok: i % 3 === 0 })),
    null,
    2,
  );
  return [
    '## What I found',
    '',
    paragraph(6),
    '',
    '```ts',
    'export function main(): void {',
    code,
    '}',
    '```',
    '',
    `${paragraph(4)} ✅ 🚀 完了しました。 👨‍👩‍👧`,
    '',
    '- first: the `split` keeps code blocks whole',
    '- second: edits stay within the budget',
    '- third: 429s wait',
    '',
    '```bash',
    'npm test -- --runInBand',
    '```',
    '',
    paragraph(5),
    '',
    '```json',
    json,
    '```',
    '',
    paragraph(8),
    '',
    paragraph(7),
    '',
    '```',
    'plain output of the tool',
    'line two',
    '```',
    '',
    `${paragraph(3)} ${ANSWER_END}`,
  ].join('\n');
}

/** `text` in deltas of 3–48 code units, never between the halves of a surrogate pair. */
function cutIntoDeltas(text: string, random: () => number): string[] {
  const deltas: string[] = [];
  for (let i = 0; i < text.length;) {
    let end = Math.min(text.length, i + 3 + Math.floor(random() * 46));
    const code = text.charCodeAt(end - 1);
    if (end < text.length && code >= 0xd800 && code <= 0xdbff) end++;
    deltas.push(text.slice(i, end));
    i = end;
  }
  return deltas;
}
