import { Throttle } from './throttle';

describe('Throttle', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  it('calls at once after a quiet time, then once at the end of the window for a burst', () => {
    const fn = jest.fn();
    const throttle = new Throttle(25, fn);
    throttle.call();
    expect(fn).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(5);
    throttle.call();
    throttle.call();
    expect(fn).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(20);
    expect(fn).toHaveBeenCalledTimes(2);
    jest.advanceTimersByTime(100);
    throttle.call();
    expect(fn).toHaveBeenCalledTimes(3);
  });

  it('drops a pending call when cancelled', () => {
    const fn = jest.fn();
    const throttle = new Throttle(25, fn);
    throttle.call();
    throttle.call();
    throttle.cancel();
    jest.advanceTimersByTime(50);
    expect(fn).toHaveBeenCalledTimes(1);
  });
});
