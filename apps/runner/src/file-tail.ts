import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';

/**
 * Reads what was appended to a file since the last read. Multi-byte characters split
 * across reads are kept whole. Reads never overlap, however often `read` is called.
 */
export class FileTail {
  private readonly decoder = new StringDecoder('utf8');
  private chain: Promise<string> = Promise.resolve('');

  constructor(
    private readonly path: string,
    private offset = 0,
  ) {}

  /** Bytes read so far (including a partial character held back). */
  get position(): number {
    return this.offset;
  }

  /** A failed read rejects its own call only; the next read tries again from the same offset. */
  read(): Promise<string> {
    this.chain = this.chain.catch(() => '').then(() => this.readNew());
    return this.chain;
  }

  private async readNew(): Promise<string> {
    let handle;
    try {
      handle = await open(this.path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw error;
    }
    try {
      let text = '';
      const buffer = Buffer.alloc(64 * 1024);
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset);
        if (bytesRead === 0) return text;
        this.offset += bytesRead;
        text += this.decoder.write(buffer.subarray(0, bytesRead));
      }
    } finally {
      await handle.close();
    }
  }
}
