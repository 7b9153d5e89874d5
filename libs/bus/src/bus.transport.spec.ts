import { subjectMatches } from './bus.transport';

describe('subjectMatches', () => {
  it.each([
    // exact
    ['a.b', 'a.b', true],
    ['a.b', 'a.c', false],
    // length mismatch
    ['a.b', 'a.b.c', false],
    ['a.b.c', 'a.b', false],
    ['a', 'a.b', false],
    // `*` is exactly one token
    ['a.*', 'a.b', true],
    ['a.*.c', 'a.b.c', true],
    ['*', 'a', true],
    ['*.*', 'a.b', true],
    ['a.*', 'a', false],
    ['a.*', 'a.b.c', false],
    ['a.*.c', 'a.b.d', false],
    ['*.*', 'a', false],
    // `>` is one or more tokens, and only at the end
    ['a.>', 'a.b', true],
    ['a.>', 'a.b.c.d', true],
    ['>', 'a', true],
    ['>', 'a.b', true],
    ['a.>', 'a', false],
    ['a.>', 'b.c', false],
    ['a.*.>', 'a.b', false],
    ['a.*.>', 'a.b.c', true],
    ['a.>.c', 'a.b.c', false],
    // a wildcard in the subject is just a token
    ['a.b', 'a.*', false],
  ])('%s matches %s: %s', (pattern, subject, expected) => {
    expect(subjectMatches(pattern, subject)).toBe(expected);
  });
});
