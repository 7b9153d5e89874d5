import { StreamSlots } from './stream-slots';

describe('StreamSlots', () => {
  it('frees a slot once, however often its release is called', () => {
    const slots = new StreamSlots({ perClient: 1, total: 2 });
    const first = slots.take('a');
    if (!('release' in first)) throw new Error(first.refused);
    expect(slots.take('a')).toEqual({ refused: 'too many open event streams from a (at most 1): close one first' });
    first.release();
    first.release();
    expect(slots.take('a')).toHaveProperty('release');
    expect(slots.take('b')).toHaveProperty('release');
    expect(slots.take('c')).toEqual({ refused: 'too many open event streams (at most 2 in all): try again later' });
  });
});
