import { Logger } from '@nestjs/common';
import { withLogIds } from './log-context';
import { RedactingLogger } from './redacting-logger';
import { Redactor } from './redactor';
import { TOKEN_SHAPES } from './token-shapes';

const TOKEN = 'ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5';

describe('RedactingLogger', () => {
  let written: string[];
  let restore: () => void;

  beforeEach(() => {
    written = [];
    // What the logger prints, as the process would print it.
    const out = process.stdout.write.bind(process.stdout);
    const err = process.stderr.write.bind(process.stderr);
    const capture = (chunk: string | Uint8Array) => (written.push(String(chunk)), true);
    process.stdout.write = capture as typeof process.stdout.write;
    process.stderr.write = capture as typeof process.stderr.write;
    restore = () => ((process.stdout.write = out), (process.stderr.write = err));
    Logger.overrideLogger(new RedactingLogger(new Redactor(new Map([['configured-bus-secret', 'bus.secret']]), TOKEN_SHAPES)));
  });

  afterEach(() => {
    restore();
    Logger.overrideLogger(new Logger());
  });

  const printed = () => written.join('');

  it('redacts the messages of every Logger, whatever their level', () => {
    const logger = new Logger('Test');
    logger.log(`connected with ${TOKEN}`);
    logger.warn('secret configured-bus-secret in a warning');
    logger.error(`failed: ${TOKEN}`);
    expect(printed()).toContain('connected with [redacted:github-token]');
    expect(printed()).toContain('secret [redacted:bus.secret] in a warning');
    expect(printed()).toContain('failed: [redacted:github-token]');
    expect(printed()).not.toContain(TOKEN);
  });

  it('redacts a stack trace logged with an error', () => {
    new Logger('Test').error('request failed', `Error: bad token ${TOKEN}\n    at handler (x.ts:1:1)`);
    expect(printed()).toContain('Error: bad token [redacted:github-token]');
    expect(printed()).not.toContain(TOKEN);
  });

  it('prints an Error as its name and message, and an object on one line, never [object Object]', () => {
    const logger = new Logger('Test');
    logger.error(new TypeError(`no ${TOKEN} here`));
    logger.log({ token: TOKEN, nested: { n: 1 } });
    expect(printed()).toContain('TypeError: no [redacted:github-token] here');
    expect(printed()).toContain("{ token: '[redacted:github-token]', nested: { n: 1 } }");
    expect(printed()).not.toContain('[object Object]');
  });

  describe('as JSON (log.format json)', () => {
    const redactor = () => new Redactor(new Map([['configured-bus-secret', 'bus.secret']]), TOKEN_SHAPES);
    const objects = () =>
      printed()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line));

    it('writes one redacted JSON object a line, with the level and the context', () => {
      Logger.overrideLogger(new RedactingLogger(redactor(), { level: 'info', format: 'json' }));
      new Logger('Test').warn(`secret configured-bus-secret and ${TOKEN}`);
      expect(objects()).toEqual([
        expect.objectContaining({ level: 'warn', context: 'Test', msg: 'secret [redacted:bus.secret] and [redacted:github-token]', time: expect.any(String) }),
      ]);
    });

    it("puts a redacted stack into the error's own line", () => {
      Logger.overrideLogger(new RedactingLogger(redactor(), { level: 'info', format: 'json' }));
      new Logger('Test').error('request failed', `Error: bad token ${TOKEN}\n    at handler (x.ts:1:1)`);
      expect(objects()).toEqual([expect.objectContaining({ level: 'error', msg: 'request failed', stack: 'Error: bad token [redacted:github-token]\n    at handler (x.ts:1:1)' })]);
      expect(printed()).not.toContain(TOKEN);
    });

    it('carries the session, task and run ids of the work it is logged from, and only there', async () => {
      Logger.overrideLogger(new RedactingLogger(redactor(), { level: 'info', format: 'json' }));
      const logger = new Logger('Runner');
      await withLogIds({ sessionId: 'sess0001', taskId: 'task0001' }, async () => {
        await Promise.resolve();
        withLogIds({ runId: 'run00001' }, () => logger.log('run started'));
      });
      logger.log('idle');
      expect(objects().map(({ msg, sessionId, taskId, runId }) => ({ msg, sessionId, taskId, runId }))).toEqual([
        { msg: 'run started', sessionId: 'sess0001', taskId: 'task0001', runId: 'run00001' },
        { msg: 'idle', sessionId: undefined, taskId: undefined, runId: undefined },
      ]);
    });
  });

  it('writes only the levels log.level allows', () => {
    Logger.overrideLogger(new RedactingLogger(new Redactor(new Map(), TOKEN_SHAPES), { level: 'warn', format: 'text' }));
    const logger = new Logger('Test');
    logger.log('chatty');
    logger.warn('worth a look');
    logger.debug('details');
    expect(printed()).not.toContain('chatty');
    expect(printed()).toContain('worth a look');
    expect(printed()).not.toContain('details');
  });
});
