import { RateLimitedError } from '../channel/channel';
import { MemoryTransport, maxPerWindow } from './memory-transport';
import { VirtualClock } from './virtual-clock';

describe('MemoryTransport', () => {
  let clock: VirtualClock;
  let transport: MemoryTransport;

  beforeEach(() => {
    clock = new VirtualClock(1000);
    transport = new MemoryTransport({ clock, capabilities: { maxMessageLength: 10, rateBudget: { perChat: 3, windowMs: 1000 } } });
  });

  it('shows what was sent and edited, per chat, in order', async () => {
    const { messageId } = await transport.send('a', { text: 'one' });
    await transport.send('a', { text: 'two' });
    await transport.send('b', { text: 'other' });
    await transport.edit('a', messageId, { text: 'one!' });
    expect(transport.messages('a')).toEqual([
      { id: messageId, text: 'one!', buttons: [] },
      { id: expect.any(String), text: 'two', buttons: [] },
    ]);
    expect(transport.messages('b').map((m) => m.text)).toEqual(['other']);
    expect(transport.calls.map((c) => [c.at, c.kind, c.chatId, c.outcome])).toEqual([
      [1000, 'send', 'a', 'ok'],
      [1000, 'send', 'a', 'ok'],
      [1000, 'send', 'b', 'ok'],
      [1000, 'edit', 'a', 'ok'],
    ]);
  });

  it('refuses text over the limit, empty text, an edit that changes nothing, an unknown message', async () => {
    const { messageId } = await transport.send('a', { text: 'fits' });
    await expect(transport.send('a', { text: '12345678901' })).rejects.toThrow('message is too long');
    await clock.advance(1000);
    await expect(transport.send('a', { text: ' \n' })).rejects.toThrow('message text is empty');
    await expect(transport.edit('a', messageId, { text: 'fits' })).rejects.toThrow('message is not modified');
    await clock.advance(1000);
    await expect(transport.edit('a', '999', { text: 'x' })).rejects.toThrow('message to edit not found');
    await expect(transport.edit('a', messageId, { text: '12345678901' })).rejects.toThrow('message is too long');
    expect(transport.messages('a')).toEqual([{ id: messageId, text: 'fits', buttons: [] }]);
    expect(transport.violations().map((c) => c.reason)).toEqual([
      'message is too long',
      'message text is empty',
      'message is not modified',
      'message to edit not found',
      'message is too long',
    ]);
  });

  it('keeps the buttons a message was given; an edit without buttons takes them away', async () => {
    const buttons = new MemoryTransport({ clock, capabilities: { buttons: true } });
    const stop = [{ id: 'stop:s1', label: 'Stop' }];
    const { messageId } = await buttons.send('a', { text: 'working', buttons: stop });
    expect(buttons.messages('a')).toEqual([{ id: messageId, text: 'working', buttons: stop }]);
    await expect(buttons.edit('a', messageId, { text: 'working', buttons: stop })).rejects.toThrow('message is not modified');
    await buttons.edit('a', messageId, { text: 'working' });
    expect(buttons.messages('a')).toEqual([{ id: messageId, text: 'working', buttons: [] }]);
    await expect(transport.send('a', { text: 'x', buttons: stop })).rejects.toThrow('this platform has no buttons');
  });

  it('measures length in UTF-16 code units, like the platforms', async () => {
    await expect(transport.send('a', { text: '😀😀😀😀😀' })).resolves.toBeDefined();
    await expect(transport.send('a', { text: '😀😀😀😀😀x' })).rejects.toThrow('message is too long');
  });

  it('answers 429 with retry_after to a chat over its budget, and to one that comes back too early', async () => {
    for (let i = 0; i < 3; i++) await transport.send('a', { text: `m${i}` });
    await transport.send('b', { text: 'other chat' });
    const over = await transport.send('a', { text: 'one more' }).catch((e: unknown) => e);
    expect(over).toBeInstanceOf(RateLimitedError);
    expect((over as RateLimitedError).retryAfterMs).toBe(1000);
    await clock.advance(500);
    await expect(transport.send('a', { text: 'early' })).rejects.toBeInstanceOf(RateLimitedError);
    expect(transport.violations('a').map((c) => c.reason)).toEqual(['over budget', 'too early']);
    expect(transport.maxCallsPerWindow('a')).toBe(5);
  });

  it('answers 429 when told, to the next call of one chat or of any', async () => {
    transport.rateLimitNext(5000, 'b');
    await transport.send('a', { text: 'fine' });
    const limited = await transport.send('b', { text: 'no' }).catch((e: unknown) => e);
    expect((limited as RateLimitedError).retryAfterMs).toBe(5000);
    transport.rateLimitNext(200);
    await expect(transport.send('a', { text: 'no' })).rejects.toBeInstanceOf(RateLimitedError);
    expect(transport.callsTo().map((c) => c.reason)).toEqual([undefined, 'forced', 'forced']);
    // Told 429s are the platform's doing, not the client's.
    expect(transport.violations()).toEqual([]);
  });

  it('fails calls with a plain error when told', async () => {
    transport.failNext('socket hang up', 'a', 2);
    await expect(transport.send('a', { text: 'x' })).rejects.toThrow('socket hang up');
    await expect(transport.send('a', { text: 'x' })).rejects.toThrow('socket hang up');
    await expect(transport.send('a', { text: 'x' })).resolves.toEqual({ messageId: expect.any(String) });
    expect(transport.callsTo('a').map((c) => c.outcome)).toEqual(['failed', 'failed', 'ok']);
  });

  it('takes its time when given latency', async () => {
    const slow = new MemoryTransport({ clock, latencyMs: 300 });
    let done = false;
    void slow.send('a', { text: 'x' }).then(() => (done = true));
    await clock.advance(299);
    expect(done).toBe(false);
    await clock.advance(1);
    expect(done).toBe(true);
    expect(slow.calls[0].at).toBe(1300);
  });

  it('takes a varying time when given a latency function', async () => {
    const jittery = new MemoryTransport({ clock, latencyMs: (n) => [500, 10][n] });
    const first = jittery.send('a', { text: 'first' });
    const second = jittery.send('a', { text: 'second' });
    await clock.advance(600);
    await Promise.all([first, second]);
    // The second call reached the platform first.
    expect(jittery.messages('a').map((m) => m.text)).toEqual(['second', 'first']);
    expect(jittery.calls.map((c) => c.at)).toEqual([1010, 1500]);
  });

  it('counts calls per window as (t - window, t]', () => {
    expect(maxPerWindow([0, 999, 1000, 1999], 1000)).toBe(2);
    expect(maxPerWindow([0, 500, 999], 1000)).toBe(3);
    expect(maxPerWindow([], 1000)).toBe(0);
  });
});
