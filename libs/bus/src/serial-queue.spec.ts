import { SerialQueue } from './serial-queue';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('SerialQueue', () => {
  it('runs jobs one at a time, in the order pushed', async () => {
    const log: string[] = [];
    const queue = new SerialQueue<number>(async (n) => {
      log.push(`start ${n}`);
      await sleep(10 - 3 * n); // later jobs are quicker: overlap would reorder the log
      log.push(`end ${n}`);
    });
    [1, 2, 3].forEach((n) => queue.push(n));
    await queue.idle();
    expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });

  it('runs jobs pushed while it is busy, and again after it went idle', async () => {
    const done: number[] = [];
    const queue = new SerialQueue<number>(async (n) => {
      await sleep(1);
      done.push(n);
      if (n === 1) queue.push(2); // pushed from inside a job
    });
    queue.push(1);
    await queue.idle();
    expect(done).toEqual([1, 2]);
    queue.push(3);
    await queue.idle();
    expect(done).toEqual([1, 2, 3]);
  });

  it('idle() resolves at once when nothing was pushed', async () => {
    const queue = new SerialQueue<number>(() => sleep(1));
    await expect(queue.idle()).resolves.toBeUndefined();
  });

  it('idle() waits for every job pushed so far', async () => {
    let finished = 0;
    const queue = new SerialQueue<number>(async () => {
      await sleep(5);
      finished++;
    });
    queue.push(1);
    queue.push(2);
    await queue.idle();
    expect(finished).toBe(2);
  });
});
