import type { Delivery } from '@patchbay/contracts';
import type { ChannelCapabilities } from '../channel/channel';
import { joinsTo } from '../testing/conformance';
import { maxPerWindow, MemoryTransport } from '../testing/memory-transport';
import { OutputEvents, RunEvents } from '../testing/output-events';
import { VirtualClock } from '../testing/virtual-clock';
import { ChatRenderer, ChatRendererOptions, LEFTOVER_TEXT } from './chat-renderer';
import { openFenceAfter } from './split';

/** A renderer for chat "chat" on a strict in-memory platform, on virtual time from 0. */
function setup(delivery: Delivery, capabilities: Partial<ChannelCapabilities> = {}, options: Partial<ChatRendererOptions> = {}) {
  const clock = new VirtualClock(0);
  const transport = new MemoryTransport({ clock, capabilities });
  const logs: string[] = [];
  const logger = { warn: (m: string) => logs.push(`warn: ${m}`), error: (m: string) => logs.push(`error: ${m}`) };
  const renderer = new ChatRenderer({ transport, chatId: 'chat', capabilities: transport.capabilities, delivery, clock, logger, ...options });
  const events = new OutputEvents();
  return {
    clock,
    transport,
    renderer,
    logs,
    events,
    run: events.run('run00001'),
    shown: () => transport.messages('chat').map((m) => m.text),
    calls: () => transport.callsTo('chat').map((c) => `${c.kind}@${c.at}${c.outcome === 'ok' ? '' : ` ${c.outcome}`}`),
    done: () => clock.run(renderer.idle()),
  };
}

/** Pushes `text` in deltas of `size`, `gapMs` apart. */
async function stream(clock: VirtualClock, renderer: ChatRenderer, run: RunEvents, text: string, size: number, gapMs: number): Promise<void> {
  for (let i = 0; i < text.length; i += size) {
    renderer.push(run.text(text.slice(i, i + size)));
    await clock.advance(gapMs);
  }
}

const lines = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `Line ${from + i} of the answer.\n`).join('');

describe('ChatRenderer', () => {
  it('refuses capabilities it cannot work with', () => {
    const transport = new MemoryTransport();
    expect(() => new ChatRenderer({ transport, chatId: 'c', capabilities: { ...transport.capabilities, maxMessageLength: 0 }, delivery: 'live' })).toThrow(RangeError);
  });

  describe('what a run shows', () => {
    it('joins text deltas, shows tool calls as lines and the waiting and started statuses, and nothing else', async () => {
      const t = setup('live');
      t.renderer.push(t.run.status('waiting for a free slot: position 1 in line', 'waiting'));
      t.renderer.push(t.run.status('started agent demo', 'started'));
      t.renderer.push(t.run.status('thinking hard'));
      t.renderer.push(t.run.text('Let me '));
      t.renderer.push(t.run.text('look.'));
      t.renderer.push(t.run.tool('Bash', 'ls -la'));
      t.renderer.push(t.run.toolResult('Bash', 'a\nb\nc'));
      t.renderer.push(t.run.status('runner resumed', 'resumed'));
      t.renderer.push(t.run.text('Found 3 files.'));
      t.renderer.push(t.run.final('Found 3 files.'));
      await t.done();
      expect(t.shown()).toEqual(['⏳ waiting for a free slot: position 1 in line\n▶ started agent demo\nLet me look.\n▸ Bash: ls -la\nFound 3 files.']);
      // Pushed together, planned together: one send.
      expect(t.calls()).toEqual(['send@0']);
    });

    it('lets the final answer win over streamed text that differs from it', async () => {
      const t = setup('live');
      t.renderer.push(t.run.text('The answer is 4'));
      await t.clock.advance(1000);
      expect(t.shown()).toEqual(['The answer is 4']);
      t.renderer.push(t.run.final('The answer is 42.'));
      await t.done();
      expect(t.shown()).toEqual(['The answer is 42.']);
    });

    it('ends a failed run with an error line after what it showed, never over it', async () => {
      const t = setup('live');
      t.renderer.push(t.run.text('Half way there'));
      await t.clock.advance(1000);
      t.renderer.push(t.run.error('agent_failed', 'agent demo exited with status 1'));
      await t.done();
      expect(t.shown()).toEqual(['Half way there\n⚠ Error (agent_failed): agent demo exited with status 1']);
      expect(t.calls()).toEqual(['send@0', 'edit@1000']);
    });

    it('starts the next run in a new message, leaving the last one as it was', async () => {
      const t = setup('live');
      const second = t.events.run('run00002');
      t.renderer.push(t.run.text('one'));
      t.renderer.push(t.run.final('one'));
      await t.clock.advance(100);
      t.renderer.push(second.text('two'));
      await t.clock.advance(5000);
      t.renderer.push(second.text(' more'));
      t.renderer.push(second.final('two more'));
      await t.done();
      expect(t.shown()).toEqual(['one', 'two more']);
      // The next run's first message keeps the pace (4 s on this budget); its end goes at once.
      expect(t.calls()).toEqual(['send@0', 'send@4000', 'edit@5100']);
      expect(t.transport.calls.filter((c) => c.kind === 'edit').map((c) => c.messageId)).toEqual(['2']);
    });

    it('shows the pushed branch after the answer, keeping the answer that streamed across tool lines', async () => {
      const t = setup('live');
      t.renderer.push(t.run.text('Looking.'));
      t.renderer.push(t.run.tool('Bash', 'git commit -am fix'));
      t.renderer.push(t.run.text('Fixed the typo.'));
      await t.clock.advance(1000);
      t.renderer.push(t.run.pushed('patchbay/task0001'));
      t.renderer.push(t.run.final('Fixed the typo.'));
      await t.done();
      expect(t.shown()).toEqual(['Looking.\n▸ Bash: git commit -am fix\nFixed the typo.\n⇡ pushed branch patchbay/task0001 (1 commit) to origin']);
      expect(t.calls()).toEqual(['send@0', 'edit@1000']);
    });

    it('tells a final-only chat what was pushed, after the answer', async () => {
      const t = setup('final');
      t.renderer.push(t.run.text('Fixed.'));
      t.renderer.push(t.run.pushed('patchbay/task0001'));
      t.renderer.push(t.run.final('Fixed.'));
      await t.done();
      expect(t.shown()).toEqual(['Fixed.\n⇡ pushed branch patchbay/task0001 (1 commit) to origin']);
    });

    it('ends a run that never said so when the next one starts', async () => {
      const t = setup('final');
      t.renderer.push(t.run.text('lost run'));
      t.renderer.push(t.events.run('run00002').final('next answer'));
      await t.done();
      expect(t.shown()).toEqual(['next answer']);
    });

    it('ignores repeated events and a second final of the same run', async () => {
      const t = setup('live');
      const text = t.run.text('x');
      t.renderer.push(text);
      t.renderer.push(text);
      t.renderer.push(t.run.final('x'));
      t.renderer.push(t.run.final('something else'));
      await t.done();
      expect(t.shown()).toEqual(['x']);
    });
  });

  describe('live', () => {
    it('sends one message and edits it in place as output grows, paced within the budget', async () => {
      const t = setup('live', { rateBudget: { perChat: 4, windowMs: 10_000 } });
      const text = lines(60);
      await stream(t.clock, t.renderer, t.run, text, 9, 250); // ~62 s of output
      const end = t.clock.now();
      t.renderer.push(t.run.final(text));
      await t.done();
      expect(t.shown()).toEqual([text.trimEnd()]);
      const calls = t.transport.callsTo('chat');
      expect(calls[0].kind).toBe('send');
      expect(calls.slice(1).every((c) => c.kind === 'edit' && c.messageId === calls[0].messageId)).toBe(true);
      // While streaming, spaced ⌈10 000 / 3⌉ ms apart; never over 4 in 10 s.
      const streaming = calls.filter((c) => c.at < end);
      const gaps = streaming.slice(1).map((c, i) => c.at - streaming[i].at);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(3334);
      expect(t.transport.maxCallsPerWindow('chat')).toBeLessThanOrEqual(4);
      expect(calls.length).toBeLessThanOrEqual(Math.ceil(62_000 / 3334) + 2);
      expect(calls.length).toBeGreaterThan(10);
      expect(t.transport.violations()).toEqual([]);
    });

    it('coalesces a terminal’s screen lines, events a few ms apart, into one message', async () => {
      const t = setup('live', { rateBudget: { perChat: 4, windowMs: 10_000 } });
      const text = lines(80);
      await stream(t.clock, t.renderer, t.run, text, 12, 5); // 160 events in 0.8 s
      t.renderer.push(t.run.final(text));
      await t.done();
      expect(t.shown()).toEqual([text.trimEnd()]);
      expect(t.calls().length).toBeLessThanOrEqual(2);
      expect(t.transport.violations()).toEqual([]);
    });

    it('never sends an edit that would show what the message already shows', async () => {
      const t = setup('live');
      t.renderer.push(t.run.text('Hello'));
      await t.clock.advance(10_000);
      t.renderer.push(t.run.toolResult('Bash', 'output'));
      t.renderer.push(t.run.status('thinking'));
      t.renderer.push(t.run.text('  \n'));
      await t.clock.advance(10_000);
      t.renderer.push(t.run.final('Hello'));
      await t.done();
      expect(t.calls()).toEqual(['send@0']);
      expect(t.shown()).toEqual(['Hello']);
    });

    it('delivers the end of a run at once, not at the pace of the previews', async () => {
      const t = setup('live', { rateBudget: { perChat: 4, windowMs: 10_000 } });
      t.renderer.push(t.run.text('Working'));
      await t.clock.advance(500);
      t.renderer.push(t.run.text(' on it'));
      await t.clock.advance(500);
      t.renderer.push(t.run.final('Working on it. Done.'));
      await t.done();
      expect(t.calls()).toEqual(['send@0', 'edit@1000']);
    });

    it('fills a message when the output outgrows it and goes on in a new one, code blocks closed and reopened', async () => {
      const t = setup('live', { maxMessageLength: 200, rateBudget: { perChat: 50, windowMs: 1000 } });
      const code = Array.from({ length: 30 }, (_, i) => `  call(${i});`).join('\n');
      const text = `${lines(4)}\n\`\`\`ts\n${code}\n\`\`\`\n\n${lines(6, 4)}`.trimEnd();
      await stream(t.clock, t.renderer, t.run, text, 7, 100);
      t.renderer.push(t.run.final(text));
      await t.done();
      const shown = t.shown();
      // The 30-line block is longer than a message: cut, and reopened at the top of the next.
      expect(shown.filter((m) => m.includes('  call(')).length).toBeGreaterThanOrEqual(2);
      expect(shown.filter((m) => m.startsWith('```ts\n  call(')).length).toBeGreaterThanOrEqual(1);
      for (const message of shown) {
        expect(message.length).toBeLessThanOrEqual(200);
        expect(openFenceAfter(message)).toBeNull();
      }
      expect(joinsTo(shown, text)).toBe(true);
      // Mid-stream too: every text sent or edited to kept the limit and its code blocks closed.
      for (const call of t.transport.calls) {
        expect(call.text.length).toBeLessThanOrEqual(200);
        expect(openFenceAfter(call.text)).toBeNull();
      }
      // A filled message is never touched again once the next one exists.
      const calls = t.transport.callsTo('chat');
      const sends = calls.filter((c) => c.kind === 'send');
      for (const [i, send] of sends.slice(0, -1).entries()) {
        const next = calls.indexOf(sends[i + 1]);
        expect(calls.slice(next).some((c) => c.kind === 'edit' && c.messageId === send.messageId)).toBe(false);
      }
      expect(t.transport.violations()).toEqual([]);
    });

    it('edits the messages to the final answer when the stream differed, and empties those a shorter answer no longer needs', async () => {
      const t = setup('live', { maxMessageLength: 100, rateBudget: { perChat: 50, windowMs: 1000 } });
      const streamed = lines(10); // ~260 characters: three messages
      await stream(t.clock, t.renderer, t.run, streamed, 10, 100);
      expect(t.shown().length).toBe(3);
      const answer = `Short answer.\n${lines(4, 50)}`.trimEnd(); // two messages
      t.renderer.push(t.run.final(answer));
      await t.done();
      const shown = t.shown();
      expect(shown.length).toBe(3);
      expect(shown.at(-1)).toBe(LEFTOVER_TEXT);
      expect(joinsTo(shown.slice(0, -1), answer)).toBe(true);
      expect(t.transport.calls.filter((c) => c.kind === 'send')).toHaveLength(3);
    });

    it('keeps the messages that already show the final answer and edits only the rest', async () => {
      const t = setup('live', { maxMessageLength: 100, rateBudget: { perChat: 50, windowMs: 1000 } });
      const start = lines(6);
      await stream(t.clock, t.renderer, t.run, `${start}The end is nea`, 10, 100);
      const before = t.transport.messages('chat');
      expect(before.length).toBeGreaterThan(1);
      const callsBefore = t.transport.calls.length;
      const answer = `${start}The end is near, and here is more of it than streamed.`;
      t.renderer.push(t.run.final(answer));
      await t.done();
      const edited = t.transport.calls.slice(callsBefore).map((c) => c.messageId);
      expect(edited).not.toContain(before[0].id);
      expect(joinsTo(t.shown(), answer)).toBe(true);
    });

    it('behaves like append on a platform without edits', async () => {
      const t = setup('live', { edit: false, maxMessageLength: 120 });
      const text = lines(12).trimEnd();
      await stream(t.clock, t.renderer, t.run, text, 12, 700);
      t.renderer.push(t.run.final(text));
      await t.done();
      expect(t.transport.calls.every((c) => c.kind === 'send')).toBe(true);
      expect(t.shown().length).toBeGreaterThanOrEqual(3);
      expect(joinsTo(t.shown(), text)).toBe(true);
      expect(t.transport.violations()).toEqual([]);
    });
  });

  describe('the Stop button', () => {
    const STOP = [{ id: 'stop:session0001', label: 'Stop' }];
    const buttonsShown = (t: ReturnType<typeof setup>) => t.transport.messages('chat').map((m) => m.buttons);

    it('rides on the growing message while the run goes on, and goes when a message fills and when the run ends', async () => {
      const t = setup('live', { buttons: true, maxMessageLength: 200 });
      await stream(t.clock, t.renderer, t.run, lines(4), 10, 500);
      expect(buttonsShown(t)).toEqual([STOP]);
      await stream(t.clock, t.renderer, t.run, lines(6, 4), 10, 500);
      await t.clock.advance(60_000);
      // The first message is full: it keeps its text and loses the button; the next one has it.
      expect(buttonsShown(t)).toEqual([[], STOP]);
      t.renderer.push(t.run.final(lines(10).trimEnd()));
      await t.done();
      expect(buttonsShown(t)).toEqual([[], []]);
      expect(joinsTo(t.shown(), lines(10).trimEnd())).toBe(true);
      expect(t.transport.violations()).toEqual([]);
    });

    it('is not offered where output is not edited in place, or where the platform has no buttons', async () => {
      for (const [delivery, buttons] of [
        ['append', true],
        ['final', true],
        ['live', false],
      ] as const) {
        const t = setup(delivery, { buttons });
        await stream(t.clock, t.renderer, t.run, lines(3), 10, 500);
        t.renderer.push(t.run.final(lines(3).trimEnd()));
        await t.done();
        expect(buttonsShown(t).flat()).toEqual([]);
      }
    });
  });

  describe('append', () => {
    it('sends new messages only, each the output that came before a quiet moment', async () => {
      const t = setup('append');
      t.renderer.push(t.run.text('First line.\n'));
      await t.clock.advance(200);
      t.renderer.push(t.run.text('Second line.\n'));
      await t.clock.advance(2800);
      t.renderer.push(t.run.text('Third.\n'));
      await t.clock.advance(500);
      t.renderer.push(t.run.final('First line.\nSecond line.\nThird.'));
      await t.done();
      expect(t.shown()).toEqual(['First line.\nSecond line.\n', 'Third.']);
      expect(t.calls()).toEqual(['send@1200', 'send@3500']);
    });

    it('sends a message’s worth at once while output keeps coming, cut at a line end', async () => {
      const t = setup('append', { maxMessageLength: 100, rateBudget: { perChat: 50, windowMs: 1000 } });
      const text = lines(12);
      await stream(t.clock, t.renderer, t.run, text, 5, 50);
      const sentBeforeEnd = t.shown();
      expect(sentBeforeEnd.length).toBeGreaterThanOrEqual(2);
      for (const message of sentBeforeEnd) expect(message.endsWith('\n')).toBe(true);
      t.renderer.push(t.run.final(text));
      await t.done();
      expect(joinsTo(t.shown(), text.trimEnd())).toBe(true);
    });

    it('never ends a message inside a code block still being written', async () => {
      const t = setup('append');
      t.renderer.push(t.run.text('Intro.\n```ts\nline1\n'));
      await t.clock.advance(3000);
      t.renderer.push(t.run.text('line2\n```\nAfter.\n'));
      await t.clock.advance(3000);
      t.renderer.push(t.run.final('Intro.\n```ts\nline1\nline2\n```\nAfter.'));
      await t.done();
      expect(t.shown()).toEqual(['Intro.\n', '```ts\nline1\nline2\n```\nAfter.\n']);
    });

    it('sends whole lines at the latest maxDelayMs after they came when output never pauses', async () => {
      const t = setup('append', {}, { maxDelayMs: 5000 });
      await stream(t.clock, t.renderer, t.run, lines(30), 4, 100);
      const first = t.transport.calls[0];
      expect(first.at).toBeLessThanOrEqual(5000);
      expect(first.at).toBeGreaterThan(4000);
      expect(first.text.endsWith('.\n')).toBe(true);
    });

    it('sends the final answer whole after the stream when what was sent differs from it', async () => {
      const t = setup('append');
      t.renderer.push(t.run.text('The answer is 4\n'));
      await t.clock.advance(2000);
      t.renderer.push(t.run.final('The answer is 42.'));
      await t.done();
      expect(t.shown()).toEqual(['The answer is 4\n', 'The answer is 42.']);
    });
  });

  describe('final', () => {
    it('shows nothing until the run ends, then its answer, split', async () => {
      const t = setup('final', { maxMessageLength: 100 });
      t.renderer.push(t.run.status('started', 'started'));
      await stream(t.clock, t.renderer, t.run, lines(20), 15, 300);
      t.renderer.push(t.run.tool('Bash', 'ls'));
      await t.clock.advance(60_000);
      expect(t.transport.calls).toEqual([]);
      const answer = lines(12).trimEnd();
      t.renderer.push(t.run.final(answer));
      await t.done();
      expect(t.shown().length).toBeGreaterThanOrEqual(3);
      expect(joinsTo(t.shown(), answer)).toBe(true);
    });

    it('shows the error of a failed run', async () => {
      const t = setup('final');
      t.renderer.push(t.run.text('partial'));
      t.renderer.push(t.run.error('agent_failed', 'boom'));
      await t.done();
      expect(t.shown()).toEqual(['⚠ Error (agent_failed): boom']);
    });
  });

  describe('rate limits and failures', () => {
    it('keeps all chats of a transport within its account budget, each chat still delivered whole', async () => {
      const clock = new VirtualClock(0);
      const capabilities = { rateBudget: { perChat: 20, windowMs: 1_000 }, accountBudget: { perWindow: 3, windowMs: 1_000 } };
      const transport = new MemoryTransport({ clock, capabilities });
      const chats = ['a', 'b', 'c', 'd', 'e'];
      const renderers = chats.map((chatId) => new ChatRenderer({ transport, chatId, capabilities: transport.capabilities, delivery: 'live', clock }));
      const events = new OutputEvents();
      const run = events.run('run00001');
      for (const renderer of renderers) {
        renderer.push(run.text('Working on it.'));
        renderer.push(run.final('All done.'));
      }
      await clock.run(Promise.all(renderers.map((r) => r.idle())));
      for (const chatId of chats) expect(transport.messages(chatId).map((m) => m.text)).toEqual(['All done.']);
      expect(
        maxPerWindow(
          transport.calls.map((c) => c.at),
          1_000,
        ),
      ).toBeLessThanOrEqual(3);
      expect(transport.violations()).toEqual([]);
    });

    it('waits retry_after after a 429, then tries the same send again: one message', async () => {
      const t = setup('live');
      t.transport.rateLimitNext(5000);
      t.renderer.push(t.run.text('Hello'));
      t.renderer.push(t.run.final('Hello'));
      await t.done();
      expect(t.calls()).toEqual(['send@0 rate_limited', 'send@5000']);
      expect(t.shown()).toEqual(['Hello']);
      expect(t.transport.violations()).toEqual([]);
    });

    it('tells onCall of every send and edit and how it went, a 429 included (the gateway counts them)', async () => {
      const told: string[] = [];
      const t = setup('live', {}, { onCall: (operation, result) => told.push(`${operation} ${result}`) });
      t.transport.rateLimitNext(5000);
      t.renderer.push(t.run.text('Hello'));
      await t.clock.advance(10_000);
      t.renderer.push(t.run.final('Hello, world'));
      await t.done();
      expect(t.calls()).toEqual(['send@0 rate_limited', 'send@5000', expect.stringMatching(/^edit@/)]);
      expect(told).toEqual(['send rate_limited', 'send ok', 'edit ok']);
    });

    it('makes only the rate-limited chat wait: another renderer goes on', async () => {
      const clock = new VirtualClock(0);
      const transport = new MemoryTransport({ clock });
      const quiet = { warn: () => {}, error: () => {} };
      const options = { transport, capabilities: transport.capabilities, delivery: 'live' as const, clock, logger: quiet };
      const a = new ChatRenderer({ ...options, chatId: 'a' });
      const b = new ChatRenderer({ ...options, chatId: 'b' });
      const runA = new OutputEvents('sessiona').run('runa0001');
      const runB = new OutputEvents('sessionb').run('runb0001');
      transport.rateLimitNext(30_000, 'a');
      let aDone = false;
      let bDone = false;
      for (const [renderer, run, name] of [
        [a, runA, 'A'],
        [b, runB, 'B'],
      ] as const) {
        renderer.push(run.text(`${name} starts`));
      }
      await clock.advance(5000);
      for (const [renderer, run, name] of [
        [a, runA, 'A'],
        [b, runB, 'B'],
      ] as const) {
        renderer.push(run.text(` and ${name} ends`));
        renderer.push(run.final(`${name} starts and ${name} ends`));
      }
      void a.idle().then(() => (aDone = true));
      void b.idle().then(() => (bDone = true));
      await clock.advance(1000);
      expect(bDone).toBe(true);
      expect(aDone).toBe(false);
      expect(transport.messages('b').map((m) => m.text)).toEqual(['B starts and B ends']);
      expect(transport.messages('a')).toEqual([]);
      await clock.run(a.idle());
      expect(transport.messages('a').map((m) => m.text)).toEqual(['A starts and A ends']);
      expect(transport.callsTo('a').map((c) => c.at)).toEqual([0, 30_000]);
      expect(transport.violations()).toEqual([]);
    });

    it('shares one chat’s budget between the renderers writing to it', async () => {
      const clock = new VirtualClock(0);
      const transport = new MemoryTransport({ clock, capabilities: { rateBudget: { perChat: 5, windowMs: 10_000 } } });
      const quiet = { warn: () => {}, error: () => {} };
      const options = { transport, chatId: 'group', capabilities: transport.capabilities, delivery: 'live' as const, clock, logger: quiet };
      const renderers = [new ChatRenderer(options), new ChatRenderer(options)];
      const runs = [new OutputEvents('sessiona').run('runa0001'), new OutputEvents('sessionb').run('runb0001')];
      for (let i = 0; i < 120; i++) {
        renderers.forEach((r, k) => r.push(runs[k].text(`word${i} `)));
        await clock.advance(500);
      }
      renderers.forEach((r, k) => r.push(runs[k].final('the end')));
      await clock.run(Promise.all(renderers.map((r) => r.idle())));
      expect(transport.maxCallsPerWindow('group')).toBeLessThanOrEqual(5);
      expect(transport.violations()).toEqual([]);
      expect(transport.messages('group').map((m) => m.text)).toEqual(['the end', 'the end']);
    });

    it('keeps the budget as the platform counts calls, however long they take to get there', async () => {
      const clock = new VirtualClock(0);
      // The first call takes 900 ms to reach the platform, the rest 10 ms.
      const transport = new MemoryTransport({ clock, latencyMs: (n) => (n === 0 ? 900 : 10), capabilities: { maxMessageLength: 40, rateBudget: { perChat: 2, windowMs: 1000 } } });
      const renderer = new ChatRenderer({ transport, chatId: 'chat', capabilities: transport.capabilities, delivery: 'final', clock, logger: { warn: () => {}, error: () => {} } });
      const answer = lines(4).trimEnd(); // four messages
      renderer.push(new OutputEvents().run('run00001').final(answer));
      await clock.run(renderer.idle());
      expect(transport.violations()).toEqual([]);
      expect(transport.maxCallsPerWindow('chat')).toBe(2);
      // Counted at 900 and 910, the third may reach the platform only after 1900.
      expect(transport.calls.map((c) => c.at)).toEqual([900, 910, 1910, 1920]);
      expect(
        joinsTo(
          transport.messages('chat').map((m) => m.text),
          answer,
        ),
      ).toBe(true);
    });

    it('tries other errors again with backoff, then gives up with a logged error and goes on', async () => {
      const t = setup('live');
      t.transport.failNext('socket hang up', 'chat', 3);
      t.renderer.push(t.run.text('one'));
      await t.clock.advance(10_000);
      expect(t.calls()).toEqual(['send@0 failed', 'send@4000 failed', 'send@8000 failed']);
      expect(t.logs.filter((l) => l.startsWith('error:'))).toEqual([expect.stringContaining('gave up sending a message after 3 tries: socket hang up')]);
      t.renderer.push(t.run.text(' two'));
      t.renderer.push(t.run.final('one two'));
      await t.done();
      expect(t.shown()).toEqual(['one two']);
    });

    it('backs off 1 s, 2 s, 4 s… between tries of the end of a run', async () => {
      const t = setup('final', {}, { backoffMs: 1000 });
      t.transport.failNext('bad gateway', 'chat', 3);
      t.renderer.push(t.run.final('answer'));
      await t.done();
      expect(t.calls()).toEqual(['send@0 failed', 'send@1000 failed', 'send@3000 failed', 'send@7000']);
      expect(t.shown()).toEqual(['answer']);
    });

    it('delivers the final answer once, as a new message, when editing the message to it keeps failing', async () => {
      const t = setup('live');
      t.renderer.push(t.run.text('draft'));
      await t.clock.advance(1000);
      t.transport.failNext('message can no longer be edited', 'chat', 6);
      t.renderer.push(t.run.final('The answer.'));
      await t.done();
      expect(t.shown()).toEqual(['draft', 'The answer.']);
      expect(t.logs.some((l) => l.startsWith('error:') && l.includes('gave up'))).toBe(true);
    });

    it('does not lose the final answer when an edit of the preview failed', async () => {
      const t = setup('live');
      t.renderer.push(t.run.text('a'));
      await t.clock.advance(1000);
      t.transport.failNext('internal error', 'chat', 3);
      t.renderer.push(t.run.text('b'));
      await t.clock.advance(20_000);
      expect(t.shown()).toEqual(['a']);
      t.renderer.push(t.run.final('ab'));
      await t.done();
      expect(t.shown()).toEqual(['ab']);
    });

    it('tells an error after the final in a message of its own; the final stays as it was', async () => {
      const t = setup('live');
      t.renderer.push(t.run.text('Done.'));
      await t.clock.advance(1000);
      t.renderer.push(t.run.final('Done. All of it.'));
      await t.done();
      expect(t.shown()).toEqual(['Done. All of it.']);
      const finalCalls = t.transport.calls.length;
      t.renderer.push(t.run.error('runner_lost', 'runner r1 stopped answering'));
      await t.done();
      expect(t.shown()).toEqual(['Done. All of it.', '⚠ Error (runner_lost): runner r1 stopped answering']);
      expect(t.transport.calls.slice(finalCalls).map((c) => c.kind)).toEqual(['send']);
    });

    it('tells an error that comes before the final is shown after it, not over it', async () => {
      const t = setup('live');
      t.renderer.push(t.run.text('Done.'));
      await t.clock.advance(1000);
      t.transport.rateLimitNext(3000);
      t.renderer.push(t.run.final('Done. All of it.'));
      await t.clock.advance(100);
      t.renderer.push(t.run.error('runner_lost', 'gone'));
      await t.done();
      expect(t.shown()).toEqual(['Done. All of it.', '⚠ Error (runner_lost): gone']);
    });

    it('delivers a long final in order, each part once, when sends fail on the way', async () => {
      const clock = new VirtualClock(0);
      const transport = new MemoryTransport({ clock, latencyMs: 100, capabilities: { maxMessageLength: 50 } });
      const renderer = new ChatRenderer({ transport, chatId: 'chat', capabilities: transport.capabilities, delivery: 'final', clock, logger: { warn: () => {}, error: () => {} } });
      const answer = lines(6).trimEnd();
      renderer.push(new OutputEvents().run('run00001').final(answer));
      await clock.advance(150); // the first send is done, the second under way
      transport.failNext('timeout', 'chat', 2);
      await clock.run(renderer.idle());
      const shown = transport.messages('chat').map((m) => m.text);
      expect(transport.calls.map((c) => c.outcome)).toEqual(['ok', 'failed', 'failed', ...shown.slice(1).map(() => 'ok')]);
      expect(joinsTo(shown, answer)).toBe(true);
    });

    it('resolves idle() only once everything is delivered', async () => {
      const t = setup('final');
      t.transport.rateLimitNext(10_000);
      t.renderer.push(t.run.final('answer'));
      let idle = false;
      void t.renderer.idle().then(() => (idle = true));
      await t.clock.advance(9000);
      expect(idle).toBe(false);
      await t.clock.advance(2000);
      expect(idle).toBe(true);
      expect(t.shown()).toEqual(['answer']);
    });
  });
});
