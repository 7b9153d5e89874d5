import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';

/** The bytes of `path` from `position` to its current end; none while the file does not exist. */
async function readFrom(path: string, position: number): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw error;
  }
  try {
    const chunks: Buffer[] = [];
    const buffer = Buffer.alloc(64 * 1024);
    for (let at = position; ;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, at);
      if (bytesRead === 0) return Buffer.concat(chunks);
      chunks.push(Buffer.from(buffer.subarray(0, bytesRead)));
      at += bytesRead;
    }
  } finally {
    await handle.close();
  }
}

/**
 * What was appended to a file since the last read, from a byte offset (0, or where a
 * restarted runner left off). Reads never overlap, however often `read` is called; a
 * failed read rejects its own call only, and the next tries again from the same offset.
 */
abstract class Tail<T> {
  private chain: Promise<T>;

  constructor(
    protected readonly path: string,
    protected offset: number,
    private readonly nothing: () => T,
  ) {
    this.chain = Promise.resolve(nothing());
  }

  /** Bytes consumed so far: a text tail counts a partial character held back, a line tail only whole lines. */
  get position(): number {
    return this.offset;
  }

  read(): Promise<T> {
    this.chain = this.chain.catch(this.nothing).then(async () => this.take(await readFrom(this.path, this.offset + this.held())));
    return this.chain;
  }

  /** Bytes already read but not yet handed out (a partial line). */
  protected abstract held(): number;
  /** Turns the new bytes into what a read returns, moving `offset`. */
  protected abstract take(data: Buffer): T;
}

/** Text appended to a file; multi-byte characters split across reads are kept whole. */
export class FileTail extends Tail<string> {
  private readonly decoder = new StringDecoder('utf8');

  constructor(path: string, offset = 0) {
    super(path, offset, () => '');
  }

  protected held(): number {
    return 0;
  }

  protected take(data: Buffer): string {
    this.offset += data.length;
    return this.decoder.write(data);
  }
}

export interface TailLine {
  line: string;
  /** Byte offset just after this line's newline: where a re-read would continue. */
  end: number;
}

/** Complete lines appended to a file. */
export class LineTail extends Tail<TailLine[]> {
  private partial = Buffer.alloc(0);

  constructor(path: string, offset = 0) {
    super(path, offset, () => []);
  }

  /** At the end of the output: a last line without a newline, if any. */
  async rest(): Promise<TailLine[]> {
    const lines = await this.read();
    if (this.partial.length === 0) return lines;
    this.offset += this.partial.length;
    const line = this.partial.toString('utf8');
    this.partial = Buffer.alloc(0);
    return [...lines, { line, end: this.offset }];
  }

  protected held(): number {
    return this.partial.length;
  }

  protected take(fresh: Buffer): TailLine[] {
    const data = Buffer.concat([this.partial, fresh]);
    const lines: TailLine[] = [];
    let start = 0;
    for (let nl = data.indexOf(10); nl >= 0; nl = data.indexOf(10, start)) {
      this.offset += nl + 1 - start;
      lines.push({ line: data.subarray(start, nl).toString('utf8'), end: this.offset });
      start = nl + 1;
    }
    this.partial = Buffer.from(data.subarray(start));
    return lines;
  }
}
