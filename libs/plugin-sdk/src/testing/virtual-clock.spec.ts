import { VirtualClock } from './virtual-clock';

describe('VirtualClock', () => {
  it('runs timers in time order when time moves, and not before', async () => {
    const clock = new VirtualClock(100);
    const fired: string[] = [];
    clock.setTimer(50, () => fired.push(`b@${clock.now()}`));
    clock.setTimer(10, () => fired.push(`a@${clock.now()}`));
    const cancel = clock.setTimer(20, () => fired.push('cancelled'));
    clock.setTimer(50, () => fired.push(`c@${clock.now()}`));
    cancel();
    await clock.advance(9);
    expect(fired).toEqual([]);
    await clock.advance(100);
    expect(fired).toEqual(['a@110', 'b@150', 'c@150']);
    expect(clock.now()).toBe(209);
  });

  it('lets the work a timer starts run before the next timer', async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const sleep = (ms: number) => new Promise<void>((resolve) => clock.setTimer(ms, resolve));
    void (async () => {
      await sleep(10);
      log.push(`woke ${clock.now()}`);
      await sleep(10);
      log.push(`woke ${clock.now()}`);
    })();
    await clock.advance(25);
    expect(log).toEqual(['woke 10', 'woke 20']);
  });

  it('runs until a promise settles, time jumping from timer to timer', async () => {
    const clock = new VirtualClock();
    const sleep = (ms: number) => new Promise<void>((resolve) => clock.setTimer(ms, resolve));
    const work = (async () => {
      await sleep(60_000);
      await sleep(30_000);
      return 'done';
    })();
    await expect(clock.run(work)).resolves.toBe('done');
    expect(clock.now()).toBe(90_000);
  });

  it('gives up a run that cannot finish', async () => {
    const clock = new VirtualClock();
    await expect(clock.run(new Promise(() => {}), { realMs: 20 })).rejects.toThrow('no timer left');
    const forever = () => clock.setTimer(1000, forever);
    forever();
    await expect(clock.run(new Promise(() => {}), { maxMs: 10_000 })).rejects.toThrow('not done after 10000 ms');
  });
});
