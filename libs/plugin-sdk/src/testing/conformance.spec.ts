import { splitMessage } from '../render/split';
import { channelConformance, joinsTo, joinsToPrefix } from './conformance';
import { MemoryTransport, MemoryTransportOptions } from './memory-transport';

/**
 * The kit run against the strict in-memory platform, shaped like the platforms Patchbay
 * talks to: if the renderer breaks a limit, the fake refuses the call and the kit fails.
 */
function memorySetup(capabilities: MemoryTransportOptions['capabilities'], options: Omit<MemoryTransportOptions, 'capabilities' | 'clock'> = {}) {
  return ({ clock }: { clock: MemoryTransportOptions['clock'] }) => {
    const transport = new MemoryTransport({ capabilities, clock, ...options });
    return {
      plugin: transport,
      chatId: 'chat-1',
      messages: async () => transport.messages('chat-1'),
      rateLimitNext: (ms: number) => transport.rateLimitNext(ms),
      teardown: () => expect(transport.violations()).toEqual([]),
    };
  };
}

channelConformance('memory, Telegram-like (4096, edits, 20/min)', memorySetup({ maxMessageLength: 4096, edit: true, rateBudget: { perChat: 20, windowMs: 60_000 } }));
channelConformance('memory, Discord-like (2000, edits, 5 per 5 s)', memorySetup({ maxMessageLength: 2000, edit: true, rateBudget: { perChat: 5, windowMs: 5_000 } }));
channelConformance('memory, no edits (1000, 6/min)', memorySetup({ maxMessageLength: 1000, edit: false, rateBudget: { perChat: 6, windowMs: 60_000 } }));
channelConformance(
  'memory, tight (300, edits, 2 per 10 s), slow calls',
  memorySetup({ maxMessageLength: 300, edit: true, rateBudget: { perChat: 2, windowMs: 10_000 } }, { latencyMs: 400 }),
);
// Calls that take 50 ms or 1.5 s by turns: the platform counts them late, unevenly.
channelConformance(
  'memory, jittery latency (2000, edits, 5 per 5 s)',
  memorySetup({ maxMessageLength: 2000, edit: true, rateBudget: { perChat: 5, windowMs: 5_000 } }, { latencyMs: (n) => (n % 3 === 1 ? 1500 : 50) }),
);

// A fake that answers over real I/O (like one behind HTTP): each call takes a real millisecond.
channelConformance(
  'memory behind real I/O (Discord-like)',
  ({ clock }) => {
    const memory = new MemoryTransport({ clock, capabilities: { maxMessageLength: 2000, rateBudget: { perChat: 5, windowMs: 5_000 } } });
    const io = () => new Promise((resolve) => setTimeout(resolve, 1));
    return {
      plugin: {
        capabilities: memory.capabilities,
        send: async (chatId, message) => (await io(), memory.send(chatId, message)),
        edit: async (chatId, messageId, message) => (await io(), memory.edit(chatId, messageId, message)),
      },
      chatId: 'chat-1',
      messages: async () => memory.messages('chat-1'),
      rateLimitNext: (ms) => memory.rateLimitNext(ms),
      teardown: () => expect(memory.violations()).toEqual([]),
    };
  },
  { deliveries: ['live'] },
);

describe('joinsTo (how the kit reads a chat)', () => {
  const text = 'Intro paragraph.\n\n```ts\nconst a = 1;\nconst b = 2;\nconst c = 3;\n```\nThe end.';
  const chunks = splitMessage(text, 30);

  it('accepts the chunks of a text, the added fence lines taken out', () => {
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.some((c) => c.startsWith('```ts\nconst b'))).toBe(true);
    expect(joinsTo(chunks, text)).toBe(true);
    expect(joinsTo([text], text)).toBe(true);
  });

  it('refuses a chat with a message missing, twice, out of order, or changed', () => {
    expect(joinsTo(chunks.slice(1), text)).toBe(false);
    expect(joinsTo(chunks.slice(0, -1), text)).toBe(false);
    expect(joinsTo([...chunks, chunks.at(-1)!], text)).toBe(false);
    expect(joinsTo([chunks[1], chunks[0], ...chunks.slice(2)], text)).toBe(false);
    expect(
      joinsTo(
        chunks.map((c, i) => (i === 1 ? c.replace('1', '7') : c)),
        text,
      ),
    ).toBe(false);
  });

  it('refuses a cut code block that was not closed, or reopened without its language', () => {
    const unclosed = chunks.map((c) => c.replace(/\n```$/, ''));
    expect(joinsTo(unclosed, text)).toBe(false);
    const bare = chunks.map((c) => c.replace(/^```ts\n(?=const b)/, '```\n'));
    expect(joinsTo(bare, text)).toBe(false);
  });

  it('reads a prefix when asked', () => {
    expect(joinsToPrefix(chunks.slice(0, 2), text)).toBe(true);
    expect(joinsToPrefix(chunks.slice(1, 2), text)).toBe(false);
  });
});
