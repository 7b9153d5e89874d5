import { ScreenV1 } from '@patchbay/contracts';
import { strictDouble } from '../../../../test/support/strict-double';
import { NoLiveTerminalError } from './live-screens';
import { ManualClock } from '../../../../test/support/manual-clock';
import { SCREEN_POLL_MS, ScreenPollers, ScreenSource, ScreenWatcher } from './screen-pollers';

const screen = (text: string, x = 0): ScreenV1 => ({ sessionId: 'sess0001', cols: 80, rows: 2, cursor: { x, y: 0 }, lines: [text, ''], at: '2030-01-01T10:00:00.000Z' });

/** Time moves only on tick(): every poll waiting for its next turn goes once. */
class TickClock extends ManualClock {
  constructor() {
    super('2030-01-01T10:00:00.000Z');
  }

  async tick(): Promise<void> {
    this.advance(SCREEN_POLL_MS);
    await settle();
  }

  get waiting(): number {
    return this.sleeping;
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

function watcher(): ScreenWatcher & { seen: string[] } {
  const seen: string[] = [];
  return { seen, screen: (s) => void seen.push(`${s.lines[0]}@${s.cursor.x}`), end: (reason) => void seen.push(`end: ${reason}`) };
}

describe('ScreenPollers', () => {
  /**
   * A source answering the given screens in order, then the last one again; `hint()` is the
   * runner saying the pane changed, `asked()` the screen requests so far.
   */
  function source(...answers: Array<ScreenV1 | Error>) {
    const hints = new Set<() => void>();
    const double = strictDouble<ScreenSource>('ScreenSource', {
      screen: async () => {
        const next = answers.length > 1 ? answers.shift()! : answers[0];
        if (next instanceof Error) throw next;
        return next;
      },
      changes: (_sessionId: string, changed: () => void) => {
        hints.add(changed);
        return () => hints.delete(changed);
      },
    });
    return Object.assign(double, {
      asked: () => double.calls.filter(([name]) => name === 'screen'),
      hint: () => hints.forEach((changed) => changed()),
      hinting: () => hints.size,
    });
  }

  it('asks once per tick for a session however many watch it, and passes on only changes', async () => {
    const clock = new TickClock();
    const runner = source(screen('$'), screen('$'), screen('$ l', 3), screen('$ l', 3), screen('$ ls', 4));
    const pollers = new ScreenPollers(runner, clock);
    const [a, b] = [watcher(), watcher()];
    pollers.watch('sess0001', a);
    pollers.watch('sess0001', b);
    await settle();
    for (let i = 0; i < 4; i++) await clock.tick();
    expect(runner.asked()).toHaveLength(5);
    expect(runner.asked().every(([, args]) => args[0] === 'sess0001')).toBe(true);
    expect(a.seen).toEqual(['$@0', '$ l@3', '$ ls@4']);
    expect(b.seen).toEqual(a.seen);
  });

  it('asks at once when the runner hints a pane change, without waiting for the next tick', async () => {
    const clock = new TickClock();
    const runner = source(screen('$'), screen('$ l', 3));
    const pollers = new ScreenPollers(runner, clock);
    const a = watcher();
    pollers.watch('sess0001', a);
    await settle();
    expect(a.seen).toEqual(['$@0']);
    runner.hint();
    await settle();
    expect(a.seen).toEqual(['$@0', '$ l@3']);
    expect(runner.asked()).toHaveLength(2);
  });

  it('stops listening for hints with the poll', async () => {
    const clock = new TickClock();
    const runner = source(screen('$'));
    const stop = new ScreenPollers(runner, clock).watch('sess0001', watcher());
    expect(runner.hinting()).toBe(1);
    stop();
    expect(runner.hinting()).toBe(0);
  });

  it('hands a watcher who joins a running poll the latest screen at once', async () => {
    const clock = new TickClock();
    const pollers = new ScreenPollers(source(screen('top')), clock);
    pollers.watch('sess0001', watcher());
    await settle();
    const late = watcher();
    pollers.watch('sess0001', late);
    expect(late.seen).toEqual(['top@0']);
  });

  it('stops asking when the last watcher goes, and starts afresh for the next', async () => {
    const clock = new TickClock();
    const runner = source(screen('one'));
    const pollers = new ScreenPollers(runner, clock);
    const [a, b] = [watcher(), watcher()];
    const stopA = pollers.watch('sess0001', a);
    const stopB = pollers.watch('sess0001', b);
    await settle();
    stopA();
    await clock.tick();
    expect(pollers.polled).toEqual(['sess0001']);
    stopB();
    expect(pollers.polled).toEqual([]);
    await clock.tick();
    await clock.tick();
    expect(runner.asked()).toHaveLength(2);
    expect(clock.waiting).toBe(0);

    const again = watcher();
    pollers.watch('sess0001', again);
    await settle();
    expect(runner.asked()).toHaveLength(3);
    expect(again.seen).toEqual(['one@0']);
  });

  it('ends every watcher when the session has no live terminal any more, and polls no more', async () => {
    const clock = new TickClock();
    const runner = source(screen('last'), new NoLiveTerminalError('sess0001'));
    const pollers = new ScreenPollers(runner, clock);
    const [a, b] = [watcher(), watcher()];
    pollers.watch('sess0001', a);
    pollers.watch('sess0001', b);
    await settle();
    await clock.tick();
    expect(a.seen).toEqual(['last@0', 'end: session sess0001 has no live terminal']);
    expect(b.seen).toEqual(a.seen);
    expect(pollers.polled).toEqual([]);
    expect(clock.waiting).toBe(0);
  });

  it('asks again at the next tick after a failure that is not the end (a slow runner)', async () => {
    const clock = new TickClock();
    const pollers = new ScreenPollers(source(new Error('request on session.sess0001.screen got no reply within 5000 ms'), screen('back')), clock);
    const a = watcher();
    pollers.watch('sess0001', a);
    await settle();
    expect(a.seen).toEqual([]);
    await clock.tick();
    expect(a.seen).toEqual(['back@0']);
  });

  it('polls each session on its own', async () => {
    const clock = new TickClock();
    const pollers = new ScreenPollers(source(screen('x')), clock);
    const stops = [pollers.watch('sess0001', watcher()), pollers.watch('sess0002', watcher())];
    expect(pollers.polled).toEqual(['sess0001', 'sess0002']);
    stops[0]();
    expect(pollers.polled).toEqual(['sess0002']);
    stops[1]();
  });
});
