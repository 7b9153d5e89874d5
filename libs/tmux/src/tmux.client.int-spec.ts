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
});
