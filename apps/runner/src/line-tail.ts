import { open } from 'node:fs/promises';

export interface TailLine {
  line: string;
  /** Byte offset just after this line's newline: where a re-read would continue. */
  end: number;
}

/**
 * Reads complete lines appended to a file since the last read, starting at a byte offset
 * (0, or where a restarted runner left off). Reads never overlap; a failed read leaves
 * the position unchanged for the next.
 */
export class LineTail {
  private partial = Buffer.alloc(0);
  private chain: Promise<TailLine[]> = Promise.resolve([]);

  constructor(
    private readonly path: string,
    private offset = 0,
  ) {}

  /** Bytes consumed as whole lines so far. */
  get position(): number {
    return this.offset;
  }

  read(): Promise<TailLine[]> {
    this.chain = this.chain.catch(() => []).then(() => this.readNew());
    return this.chain;
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

  private async readNew(): Promise<TailLine[]> {
    let handle;
    try {
      handle = await open(this.path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const chunks: Buffer[] = [this.partial];
    try {
      const buffer = Buffer.alloc(64 * 1024);
      let position = this.offset + this.partial.length;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
        if (bytesRead === 0) break;
        chunks.push(Buffer.from(buffer.subarray(0, bytesRead)));
        position += bytesRead;
      }
    } finally {
      await handle.close();
    }
    const data = Buffer.concat(chunks);
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
