import { newId } from '@patchbay/contracts';
import { removeTmuxServer } from '../../../test/support/patchbay-processes';
import { describeWith } from '../../../test/support/services';
import { TmuxClient } from './tmux.client';

jest.setTimeout(60_000);

describeWith(['tmux'], 'TmuxClient (real tmux)', () => {
  const socket = `pbtest-${newId(8)}`;
  const tmux = new TmuxClient(socket);

  afterAll(() => removeTmuxServer(socket));

  it('starts a session while the server is exiting after its last session ended', async () => {
    // Each round the only session ends at once, so the server exits just as the next
    // session is asked for: the moment a runner starts the next run on an idle machine.
    for (let round = 0; round < 40; round++) {
      await tmux.newSession(`pb-last${round}`, 'true', '/tmp');
      await tmux.newSession(`pb-next${round}`, 'exit 0', '/tmp');
    }
    expect(await tmux.listSessions()).toEqual([]);
  });

  it('reads the visible rows with their colours, the pane size and the cursor', async () => {
    await tmux.newSession('pb-screen', `printf '\\033[31mred\\033[0m plain\\nnext'; sleep 30`, '/tmp');
    await waitFor(async () => (await tmux.capturePane('pb-screen')).includes('next'));
    const screen = await tmux.screen('pb-screen');
    expect(screen).toMatchObject({ cols: 200, rows: 50, cursor: { x: 4, y: 1 } });
    expect(screen.lines).toHaveLength(50);
    expect(screen.lines[0]).toBe('\u001b[31mred\u001b[39m plain');
    expect(screen.lines[1]).toBe('next');
    expect(screen.lines.slice(2).every((line) => line === '')).toBe(true);
    await tmux.killSession('pb-screen');
  });

  it('fails a paste to a server that is not running, without an unhandled EPIPE', async () => {
    const nobody = new TmuxClient(`pbtest-none-${newId(8)}`);
    for (let i = 0; i < 20; i++) await expect(nobody.paste('pb-none', 'echo hi', 'pb-test-buffer')).rejects.toThrow(/load-buffer/);
  });

  it('types text without Enter when told so', async () => {
    await tmux.newSession('pb-paste', 'cat', '/tmp');
    await tmux.paste('pb-paste', 'no-enter-yet', 'pb-test-buffer', false);
    await waitFor(async () => (await tmux.capturePane('pb-paste')).includes('no-enter-yet'));
    expect((await tmux.screen('pb-paste')).cursor).toEqual({ x: 'no-enter-yet'.length, y: 0 });
    await tmux.killSession('pb-paste');
  });
});

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + 5_000; !(await check());) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the pane');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
