import { approveButton, commandOfButton, stopButton } from './buttons';

describe('buttons', () => {
  it('stand for the commands they carry', () => {
    expect(commandOfButton(stopButton('s1abc').id)).toBe('/stop');
    expect(commandOfButton(approveButton('ABCD2345', 'Mallory').id)).toBe('/pair approve ABCD2345');
  });

  it('mean nothing when unknown or malformed', () => {
    for (const id of ['', 'stop', 'nuke:all', 'pair:', 'pair:AB CD', 'pair:X;/stop', ':x']) expect(commandOfButton(id)).toBeNull();
  });

  it('keep labels within what platforms show', () => {
    expect(approveButton('ABCD2345', 'x'.repeat(100)).label).toHaveLength(64);
  });
});
