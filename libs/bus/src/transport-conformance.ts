import { randomBytes } from 'node:crypto';
import { NoResponderError, RequestTimeoutError } from './bus.errors';
import { BusTransport, TransportHandler, TransportMessage, TransportSubscription } from './bus.transport';

/**
 * The semantics every BusTransport must give (see bus.transport.ts), as one jest suite.
 * in-process.transport.spec.ts and nats.transport.int-spec.ts run it for their transport.
 * Not a spec file itself: it defines tests only when one of those calls it.
 */
export function transportConformance(name: string, makeTransport: () => Promise<BusTransport>): void {
  describe(`${name} (BusTransport conformance)`, () => {
    let transport: BusTransport;
    let prefix: string;
    /** A subject of this test only, so runs and tests never see each other's messages. */
    const subject = (rest: string) => `${prefix}.${rest}`;

    beforeEach(async () => {
      prefix = `t${randomBytes(6).toString('hex')}`;
      transport = await makeTransport();
    });

    afterEach(async () => {
      await transport.close();
    });

    it('delivers on a "*" pattern the subjects with exactly one token in its place', async () => {
      const inbox = collect(transport, subject('*.out'));
      for (const rest of ['a.out', 'a.b.out', 'a.other', 'out', 'b.out']) transport.publish(subject(rest), bytes(rest));
      await until(() => inbox.received.length >= 2, 'two messages');
      expect(inbox.subjects()).toEqual([subject('a.out'), subject('b.out')]);
    });

    it('delivers on a ">" pattern the subjects with one or more tokens in its place', async () => {
      const inbox = collect(transport, subject('x.>'));
      for (const rest of ['x', 'x.a', 'y.a', 'x.a.b.c', 'xx.a', 'x.end']) transport.publish(subject(rest), bytes(rest));
      await until(() => inbox.received.length >= 3, 'three messages');
      expect(inbox.subjects()).toEqual([subject('x.a'), subject('x.a.b.c'), subject('x.end')]);
    });

    it('delivers each message to exactly one member of a queue group, and to every plain subscriber', async () => {
      const n = 100;
      const members = [collect(transport, subject('work'), { queue: 'workers' }), collect(transport, subject('work'), { queue: 'workers' })];
      const watcher = collect(transport, subject('work'));
      for (let i = 0; i < n; i++) transport.publish(subject('work'), bytes(String(i)));
      const total = () => members[0].received.length + members[1].received.length;
      await until(() => total() >= n && watcher.received.length >= n, `${n} messages`);
      await settle(transport);
      const texts = [...members[0].texts(), ...members[1].texts()];
      expect(texts).toHaveLength(n);
      expect(new Set(texts).size).toBe(n);
      expect(watcher.texts()).toEqual(Array.from({ length: n }, (_, i) => String(i)));
      // With 100 messages, either transport's distribution reaches both members.
      for (const member of members) expect(member.received.length).toBeGreaterThan(0);
    });

    it('hands one subscription its messages one at a time, in order', async () => {
      const log: string[] = [];
      transport.subscribe(subject('slow'), async ({ data }) => {
        const n = Number(text(data));
        log.push(`start ${n}`);
        await sleep(25 - 5 * n); // later messages are quicker: overlapping handlers would reorder the log
        log.push(`end ${n}`);
      });
      for (let n = 0; n < 4; n++) transport.publish(subject('slow'), bytes(String(n)));
      await until(() => log.length >= 8, 'four handled messages');
      expect(log).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
    });

    it('keeps a subscription serving after its handler throws', async () => {
      const handled: string[] = [];
      transport.subscribe(subject('flaky'), async ({ data }) => {
        if (text(data) === 'bad') throw new Error('handler failed');
        handled.push(text(data));
      });
      for (const t of ['bad', 'good']) transport.publish(subject('flaky'), bytes(t));
      await until(() => handled.length >= 1, 'the message after the failure');
      expect(handled).toEqual(['good']);
    });

    it('answers a request with what the subscriber responds, each request its own reply', async () => {
      transport.subscribe(subject('echo'), async ({ data, respond }) => respond?.(bytes(`echo ${text(data)}`)));
      const replies = await Promise.all(['a', 'b', 'c'].map((t) => transport.request(subject('echo'), bytes(t), 2_000)));
      expect(replies.map(text)).toEqual(['echo a', 'echo b', 'echo c']);
    });

    it('gives respond() only to messages whose sender waits for a reply', async () => {
      const inbox = collect(transport, subject('mixed'));
      transport.publish(subject('mixed'), bytes('event'));
      const reply = transport.request(subject('mixed'), bytes('request'), 2_000);
      await until(() => inbox.received.length >= 2, 'both messages');
      expect(inbox.received.map((m) => [text(m.data), typeof m.respond])).toEqual([
        ['event', 'undefined'],
        ['request', 'function'],
      ]);
      inbox.received[1].respond!(bytes('ok'));
      expect(text(await reply)).toBe('ok');
    });

    it('hands a message its headers, on publish and on request, and none when it has none', async () => {
      const inbox = collect(transport, subject('headed'));
      transport.publish(subject('headed'), bytes('event'), { 'Patchbay-Signature': 'v1=abc' });
      transport.publish(subject('headed'), bytes('bare'));
      const reply = transport.request(subject('headed'), bytes('request'), 2_000, { 'Patchbay-Signed-At': '1700000000000' });
      await until(() => inbox.received.length >= 3, 'three messages');
      expect(inbox.received.map((m) => [text(m.data), m.headers])).toEqual([
        ['event', { 'Patchbay-Signature': 'v1=abc' }],
        ['bare', undefined],
        ['request', { 'Patchbay-Signed-At': '1700000000000' }],
      ]);
      inbox.received[2].respond!(bytes('ok'));
      expect(text(await reply)).toBe('ok');
    });

    it('fails a request nobody subscribes to at once with NoResponderError, not a timeout', async () => {
      const started = Date.now();
      const error = await transport.request(subject('nobody'), bytes('hello?'), 5_000).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NoResponderError);
      expect(error).toMatchObject({ subject: subject('nobody'), code: 'no_responder' });
      expect(Date.now() - started).toBeLessThan(1_000);
    });

    it('fails a request whose subscriber never responds with RequestTimeoutError after the timeout', async () => {
      const inbox = collect(transport, subject('silent'));
      const started = Date.now();
      const error = await transport.request(subject('silent'), bytes('hello?'), 300).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RequestTimeoutError);
      expect(error).toMatchObject({ subject: subject('silent'), timeoutMs: 300, code: 'timeout' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(inbox.texts()).toEqual(['hello?']);
    });

    it('stops delivering to a subscription once it unsubscribed', async () => {
      const leaving = collect(transport, subject('news'));
      const staying = collect(transport, subject('news'));
      transport.publish(subject('news'), bytes('before'));
      await until(() => leaving.received.length >= 1 && staying.received.length >= 1, 'the first message');
      leaving.subscription.unsubscribe();
      transport.publish(subject('news'), bytes('after'));
      await until(() => staying.received.length >= 2, 'the second message');
      await settle(transport);
      expect(leaving.texts()).toEqual(['before']);
      expect(staying.texts()).toEqual(['before', 'after']);
    });

    it('drain() stops delivery and resolves once the messages already delivered are handled', async () => {
      const handled: string[] = [];
      const firstStarted = signal();
      const subscription = transport.subscribe(subject('jobs'), async ({ data }) => {
        firstStarted.fire();
        await sleep(50);
        handled.push(text(data));
      });
      const watcher = collect(transport, subject('jobs'));
      for (const t of ['1', '2', '3']) transport.publish(subject('jobs'), bytes(t));
      await firstStarted.fired;
      await subscription.drain();
      expect(handled).toEqual(['1', '2', '3']);

      transport.publish(subject('jobs'), bytes('late'));
      await until(() => watcher.received.length >= 4, 'the late message');
      await settle(transport);
      expect(handled).toEqual(['1', '2', '3']);
    });

    it('drain() after unsubscribe() still resolves', async () => {
      const inbox = collect(transport, subject('gone'));
      inbox.subscription.unsubscribe();
      await expect(inbox.subscription.drain()).resolves.toBeUndefined();
    });

    it('lets in-flight handlers finish, and the messages already delivered through, on close()', async () => {
      const log: string[] = [];
      const firstStarted = signal();
      transport.subscribe(subject('busy'), async ({ data }) => {
        firstStarted.fire();
        await sleep(100);
        log.push(text(data));
      });
      for (const t of ['1', '2', '3']) transport.publish(subject('busy'), bytes(t));
      await firstStarted.fired;
      expect(transport.isConnected()).toBe(true);
      await transport.close();
      expect(log).toEqual(['1', '2', '3']);
      expect(transport.isConnected()).toBe(false);
    });
  });
}

interface Inbox {
  received: TransportMessage[];
  subjects(): string[];
  texts(): string[];
  subscription: TransportSubscription;
}

/** Subscribes with a handler that records every message it gets. */
function collect(transport: BusTransport, pattern: string, options: { queue?: string } = {}): Inbox {
  const received: TransportMessage[] = [];
  const handler: TransportHandler = async (message) => void received.push(message);
  return {
    received,
    subjects: () => received.map((m) => m.subject),
    texts: () => received.map((m) => text(m.data)),
    subscription: transport.subscribe(pattern, handler, options),
  };
}

/** Waits for a condition, failing with what it waited for rather than hanging the test. */
async function until(condition: () => boolean, what: string, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** A promise a handler resolves (`fire`) to tell the test it has started. */
function signal(): { fire: () => void; fired: Promise<void> } {
  let fire!: () => void;
  const fired = new Promise<void>((resolve) => (fire = resolve));
  return { fire, fired };
}

/** Gives a stray (wrong) delivery the chance to show up before asserting that none came. */
async function settle(transport: BusTransport): Promise<void> {
  await transport.flush();
  await sleep(50);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (data: Uint8Array) => new TextDecoder().decode(data);
