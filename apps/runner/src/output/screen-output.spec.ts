import { appendFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentEvent } from '@patchbay/agents';
import { strictDouble } from '../../../../test/support/strict-double';
import { RUN_FILES } from '../run-script';
import { OutputSink } from './run-output';
import { ScreenOutput } from './screen-output';

interface Sent {
  text: string;
  offset: number;
}

describe('ScreenOutput', () => {
  let dir: string;
  let sent: Sent[];
  let settled: number;
  let drawn: number;
  let wake: () => void;
  const outputs: ScreenOutput[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pb-screen-'));
    sent = [];
    settled = 0;
    drawn = 0;
    wake = () => undefined;
  });

  afterEach(() => {
    for (const output of outputs.splice(0)) output.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const pane = () => join(dir, RUN_FILES.pane);
  const print = (data: string) => appendFileSync(pane(), data);
  const size = () => statSync(pane()).size;

  function output(): ScreenOutput {
    const sink = strictDouble<OutputSink>('sink', {
      send: (events: AgentEvent[], offset: number) => {
        for (const event of events) if (event.type === 'text') sent.push({ text: event.text, offset });
        wake();
      },
      touched: () => undefined,
    });
    const created = new ScreenOutput(dir, { bridged: false, agent: 'term', tmuxSession: 'pb-s', onSettled: () => (settled++, wake()), onDrawn: () => drawn++ }, sink);
    outputs.push(created);
    return created;
  }

  /** Resolves once `ready()` holds, checked after every send and settle. */
  const until = (ready: () => boolean) =>
    new Promise<void>((resolve) => {
      wake = () => ready() && resolve();
      wake();
    });

  it('sends the finished lines of a burst before the screen settles, then the cursor line, with the pane offset drawn', async () => {
    const screen = output();
    screen.follow(0);
    print('$ echo hi\r\nhi\r\n$ ');
    await screen.read(false);
    // Screen watchers hear of the change as soon as it is drawn, before any line goes out.
    expect(drawn).toBe(1);
    await until(() => sent.length === 1);
    expect(sent).toEqual([{ text: '$ echo hi\nhi\n', offset: size() }]);
    expect(settled).toBe(0);
    await until(() => settled === 1);
    expect(sent).toEqual([
      { text: '$ echo hi\nhi\n', offset: size() },
      { text: '$ \n', offset: size() },
    ]);
  });

  it('sends everything at once at the end', async () => {
    const screen = output();
    screen.follow(0);
    print('bye\r\n$ ');
    await screen.read(true);
    expect(sent).toEqual([{ text: 'bye\n$ \n', offset: size() }]);
    expect(settled).toBe(1);
  });

  it('a restarted runner goes on from the journaled offset: no finished line again, the cursor line again', async () => {
    print('one\r\n$ ');
    const offset = size();
    const adopted = output();
    await adopted.replayUpTo(offset);
    adopted.follow(offset);
    expect(adopted.position).toBe(offset);
    print('two\r\n$ ');
    await adopted.read(false);
    await until(() => settled === 1);
    expect(sent.map((s) => s.text)).toEqual(['$ two\n', '$ \n']);
  });

  it('confirms growth once the new bytes are drawn', async () => {
    const screen = output();
    screen.follow(0);
    print('$ ');
    await screen.read(false);
    const before = size();
    const grew = screen.grewPast(before, 2_000);
    print('x');
    await screen.read(false);
    await expect(grew).resolves.toBe(true);
    await expect(screen.grewPast(0, 2_000)).resolves.toBe(true);
  });
});
