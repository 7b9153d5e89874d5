import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileTail, LineTail } from './file-tail';

describe('FileTail', () => {
  let dir: string;
  let path: string;
  let tail: FileTail;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pb-tail-'));
    path = join(dir, 'stdout.log');
    tail = new FileTail(path);
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const append = (data: string | Buffer) => appendFileSync(path, data);

  it('reads nothing while the file does not exist, then what it holds once it does', async () => {
    expect(await tail.read()).toBe('');
    append('first\n');
    expect(await tail.read()).toBe('first\n');
  });

  it('reads only what was appended since the last read', async () => {
    append('one\n');
    expect(await tail.read()).toBe('one\n');
    expect(await tail.read()).toBe('');
    append('two\n');
    append('three\n');
    expect(await tail.read()).toBe('two\nthree\n');
  });

  it('reads a file bigger than its buffer whole', async () => {
    const big = 'x'.repeat(200_000) + 'end';
    append(big);
    expect(await tail.read()).toBe(big);
  });

  it('keeps a multi-byte character split across two appends whole', async () => {
    const euro = Buffer.from('€', 'utf8'); // e2 82 ac
    append(Buffer.concat([Buffer.from('price: '), euro.subarray(0, 2)]));
    expect(await tail.read()).toBe('price: ');
    append(Buffer.concat([euro.subarray(2), Buffer.from('5 🚀')]));
    expect(await tail.read()).toBe('€5 🚀');
  });

  it('never hands out the same text twice to concurrent reads', async () => {
    const chunks = Array.from({ length: 50 }, (_, i) => `chunk ${i} ✓\n`);
    const reads: Array<Promise<string>> = [];
    for (const chunk of chunks) {
      append(chunk);
      reads.push(tail.read(), tail.read());
    }
    const texts = await Promise.all(reads);
    expect(texts.join('') + (await tail.read())).toBe(chunks.join(''));
  });
});

describe('LineTail', () => {
  let dir: string;
  let path: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pb-lines-'));
    path = join(dir, 'stdout.log');
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('hands out whole lines with where each ends, holding a partial one back until its newline or the end', async () => {
    const tail = new LineTail(path);
    expect(await tail.read()).toEqual([]);
    appendFileSync(path, 'one\ntw');
    expect(await tail.read()).toEqual([{ line: 'one', end: 4 }]);
    expect(tail.position).toBe(4);
    appendFileSync(path, 'o ✓\nthree');
    expect(await tail.read()).toEqual([{ line: 'two ✓', end: 12 }]);
    expect(await tail.rest()).toEqual([{ line: 'three', end: 17 }]);
  });

  it('continues from a byte offset (a restarted runner), and never hands a line out twice', async () => {
    appendFileSync(path, 'old\nnew\n');
    const tail = new LineTail(path, 4);
    const [a, b] = await Promise.all([tail.read(), tail.read()]);
    expect([...a, ...b]).toEqual([{ line: 'new', end: 8 }]);
  });
});
