import { BusSigner, MAX_REQUEST_AGE_MS, SIGNATURE_HEADER, SIGNED_AT_HEADER } from './bus-signer';

const SECRET = 'a-bus-secret-of-at-least-32-chars!';
const NOW = 1_800_000_000_000;
const data = new TextEncoder().encode('{"channel":"local","text":"hi"}');

describe('BusSigner', () => {
  const signer = new BusSigner(SECRET);

  it('accepts what it signed, with the signature and the time in two headers', () => {
    const headers = signer.sign('pb.jobs.add', data, NOW);
    expect(headers[SIGNATURE_HEADER]).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(headers[SIGNED_AT_HEADER]).toBe(String(NOW));
    expect(signer.verify('pb.jobs.add', data, headers, MAX_REQUEST_AGE_MS, NOW)).toEqual({ ok: true });
  });

  it('accepts the same signature from another signer holding the same secret', () => {
    expect(new BusSigner(SECRET).verify('pb.jobs.add', data, signer.sign('pb.jobs.add', data, NOW), null, NOW)).toEqual({ ok: true });
  });

  it('calls a message without the headers unsigned', () => {
    expect(signer.verify('pb.jobs.add', data, undefined, null, NOW)).toEqual({ ok: false, fault: 'unsigned' });
    expect(signer.verify('pb.jobs.add', data, { [SIGNED_AT_HEADER]: String(NOW) }, null, NOW)).toEqual({ ok: false, fault: 'unsigned' });
  });

  it.each([
    ['the payload', (h: Record<string, string>) => ({ h, subject: 'pb.jobs.add', bytes: new TextEncoder().encode('{"channel":"local","text":"rm"}') })],
    ['the subject', (h: Record<string, string>) => ({ h, subject: 'pb.jobs.remove', bytes: data })],
    ['the deployment prefix', (h: Record<string, string>) => ({ h, subject: 'other.jobs.add', bytes: data })],
    ['the time', (h: Record<string, string>) => ({ h: { ...h, [SIGNED_AT_HEADER]: String(NOW + 1) }, subject: 'pb.jobs.add', bytes: data })],
    [
      'the signature',
      (h: Record<string, string>) => ({ h: { ...h, [SIGNATURE_HEADER]: h[SIGNATURE_HEADER].replace(/.$/, (c) => (c === '0' ? '1' : '0')) }, subject: 'pb.jobs.add', bytes: data }),
    ],
    ['the signature length', (h: Record<string, string>) => ({ h: { ...h, [SIGNATURE_HEADER]: h[SIGNATURE_HEADER].slice(0, 20) }, subject: 'pb.jobs.add', bytes: data })],
    ['the version', (h: Record<string, string>) => ({ h: { ...h, [SIGNATURE_HEADER]: h[SIGNATURE_HEADER].replace('v1=', 'v2=') }, subject: 'pb.jobs.add', bytes: data })],
    ['the time (to a non-number)', (h: Record<string, string>) => ({ h: { ...h, [SIGNED_AT_HEADER]: 'soon' }, subject: 'pb.jobs.add', bytes: data })],
  ])('refuses a message when %s changed after signing', (_what, tamper) => {
    const { h, subject, bytes } = tamper({ ...signer.sign('pb.jobs.add', data, NOW) });
    expect(signer.verify(subject, bytes, h, MAX_REQUEST_AGE_MS, NOW)).toEqual({ ok: false, fault: 'bad signature' });
  });

  it('refuses a message signed with another secret', () => {
    const forger = new BusSigner('another-secret-of-at-least-32-chars');
    expect(signer.verify('pb.jobs.add', data, forger.sign('pb.jobs.add', data, NOW), null, NOW)).toEqual({ ok: false, fault: 'bad signature' });
  });

  it('refuses a message older or further ahead than the age allowed, and ignores age without a limit', () => {
    const old = signer.sign('pb.jobs.add', data, NOW - MAX_REQUEST_AGE_MS - 1);
    const ahead = signer.sign('pb.jobs.add', data, NOW + MAX_REQUEST_AGE_MS + 1);
    const recent = signer.sign('pb.jobs.add', data, NOW - MAX_REQUEST_AGE_MS);
    expect(signer.verify('pb.jobs.add', data, old, MAX_REQUEST_AGE_MS, NOW)).toEqual({ ok: false, fault: 'expired' });
    expect(signer.verify('pb.jobs.add', data, ahead, MAX_REQUEST_AGE_MS, NOW)).toEqual({ ok: false, fault: 'expired' });
    expect(signer.verify('pb.jobs.add', data, recent, MAX_REQUEST_AGE_MS, NOW)).toEqual({ ok: true });
    expect(signer.verify('pb.jobs.add', data, old, null, NOW)).toEqual({ ok: true });
  });

  it('refuses a secret shorter than 32 characters, saying how long it is', () => {
    expect(() => new BusSigner('short')).toThrow('bus.secret must be at least 32 characters (it has 5)');
  });
});
