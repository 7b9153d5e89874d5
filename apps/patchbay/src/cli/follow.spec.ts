import { PassThrough } from 'node:stream';
import { FollowOutput } from './follow';

/** What a terminal shows when both streams print to it, in order. */
function terminal() {
  let shown = '';
  const stream = () => {
    const s = new PassThrough();
    s.on('data', (chunk) => (shown += String(chunk)));
    return s;
  };
  return { output: new FollowOutput(stream(), stream()), shown: () => shown };
}

describe('FollowOutput', () => {
  it('puts a note after text that ended mid-line on a line of its own', async () => {
    const { output, shown } = terminal();
    output.text('Not logged in · Please run /login');
    output.note('[error] agent_failed: exit 1');
    await new Promise(setImmediate);
    expect(shown()).toBe('Not logged in · Please run /login\n[error] agent_failed: exit 1\n');
  });

  it('adds nothing after text that ended its line, or before the first text', async () => {
    const { output, shown } = terminal();
    output.note('waiting for the session to start…');
    output.text('hello\n');
    output.note('[done] in 0.1 s');
    await new Promise(setImmediate);
    expect(shown()).toBe('waiting for the session to start…\nhello\n[done] in 0.1 s\n');
  });
});
