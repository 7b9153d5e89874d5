import { RecentIds } from './recent-ids';

describe('RecentIds', () => {
  let now = 0;
  const ids = () => new RecentIds(1_000, 3, () => now);

  beforeEach(() => (now = 0));

  it('claims an id once within its ttl, and again after it', () => {
    const recent = ids();
    expect(recent.claim('a')).toBe(true);
    now = 999;
    expect(recent.claim('a')).toBe(false);
    now = 1_000;
    expect(recent.claim('a')).toBe(true);
  });

  it('tells whether an id is held, without claiming it', () => {
    const recent = ids();
    expect(recent.has('a')).toBe(false);
    expect(recent.claim('a')).toBe(true);
    expect(recent.has('a')).toBe(true);
    now = 1_000;
    expect(recent.has('a')).toBe(false);
  });

  it('lets a forgotten id through again', () => {
    const recent = ids();
    recent.claim('a');
    recent.forget('a');
    expect(recent.claim('a')).toBe(true);
  });

  it('keeps at most maxSize ids, dropping the oldest', () => {
    const recent = ids();
    for (const id of ['a', 'b', 'c', 'd']) recent.claim(id);
    expect(recent.claim('b')).toBe(false);
    expect(recent.claim('a')).toBe(true);
  });
});
