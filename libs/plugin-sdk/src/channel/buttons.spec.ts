import { approvalButtons, approveButton, commandOfButton, stopButton } from './buttons';

describe('buttons', () => {
  it('stand for the commands they carry', () => {
    expect(commandOfButton(stopButton('s1abc').id)).toBe('/stop');
    expect(commandOfButton(approveButton('ABCD2345', 'Mallory').id)).toBe('/pair approve ABCD2345');
    expect(approvalButtons({ id: 'k3x9q2m7a1b4', scope: 'Bash(npm test:*)' }).map((b) => commandOfButton(b.id))).toEqual([
      '/approve k3x9q2m7a1b4',
      '/approve k3x9q2m7a1b4 session',
      '/deny k3x9q2m7a1b4',
    ]);
    // A use no later one can match (a chained command) has no "for this session".
    expect(approvalButtons({ id: 'k3x9q2m7a1b4', scope: null }).map((b) => b.label)).toEqual(['Allow once', 'Deny']);
  });

  it('mean nothing when unknown or malformed', () => {
    for (const id of ['', 'stop', 'nuke:all', 'pair:', 'pair:AB CD', 'pair:X;/stop', ':x', 'deny:a b', 'once:../x']) expect(commandOfButton(id)).toBeNull();
  });

  it('fit in Telegram callback data (64 bytes) with the longest approval id', () => {
    for (const button of approvalButtons({ id: 'a'.repeat(40), scope: 'Bash' })) expect(Buffer.byteLength(button.id)).toBeLessThanOrEqual(64);
  });

  it('keep labels within what platforms show', () => {
    expect(approveButton('ABCD2345', 'x'.repeat(100)).label).toHaveLength(64);
  });
});
