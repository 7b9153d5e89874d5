import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nkeys } from 'nats';
import { ConfigError } from '@patchbay/config';
import { natsSecurityOptions } from './nats-options';

describe('natsSecurityOptions', () => {
  let dir: string;
  const seed = new TextDecoder().decode(nkeys.createUser().getSeed());

  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'pb-nats-options-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const failure = (config: Parameters<typeof natsSecurityOptions>[0]): string => {
    try {
      natsSecurityOptions(config);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error('expected natsSecurityOptions to throw');
  };

  it('gives no options without credentials or TLS', () => {
    expect(natsSecurityOptions({})).toEqual({});
  });

  it('maps user and password, and a token', () => {
    expect(natsSecurityOptions({ user: 'gateway', password: 'pw' })).toEqual({ user: 'gateway', pass: 'pw' });
    expect(natsSecurityOptions({ token: 'tok' })).toEqual({ token: 'tok' });
  });

  it('makes an NKey authenticator from a seed, given inline or in a file', () => {
    expect(natsSecurityOptions({ nkeySeed: seed }).authenticator).toEqual(expect.any(Function));
    expect(natsSecurityOptions({ nkeySeedFile: file('user.nk', `${seed}\n`) }).authenticator).toEqual(expect.any(Function));
  });

  it('makes a creds authenticator from a creds file', () => {
    expect(natsSecurityOptions({ credsFile: file('user.creds', 'creds') }).authenticator).toEqual(expect.any(Function));
  });

  it('reads the TLS files into the options', () => {
    const tls = { caFile: file('ca.pem', 'CA'), certFile: file('cert.pem', 'CERT'), keyFile: file('key.pem', 'KEY') };
    expect(natsSecurityOptions({ tls })).toEqual({ tls: { ca: 'CA', cert: 'CERT', key: 'KEY' } });
    expect(natsSecurityOptions({ tls: { caFile: tls.caFile } })).toEqual({ tls: { ca: 'CA' } });
  });

  it('refuses two ways of authenticating, naming them', () => {
    expect(failure({ user: 'u', password: 'p', token: 't' })).toBe('bus.nats: give one way to authenticate, not user/password and token');
    expect(failure({ token: 't', credsFile: '/x' })).toBe('bus.nats: give one way to authenticate, not token and credsFile');
  });

  it('refuses both forms of the NKey seed', () => {
    expect(failure({ nkeySeed: seed, nkeySeedFile: file('user.nk', seed) })).toBe('bus.nats: give the NKey seed as nkeySeed or as nkeySeedFile, not both');
  });

  it('refuses a user without a password and a password without a user', () => {
    expect(failure({ user: 'u' })).toBe('bus.nats: user without password');
    expect(failure({ password: 'p' })).toBe('bus.nats: password without user');
  });

  it('names the key and the path of a file it cannot read', () => {
    expect(failure({ credsFile: join(dir, 'missing.creds') })).toBe(`bus.nats.credsFile: cannot read ${join(dir, 'missing.creds')} (ENOENT)`);
    expect(failure({ tls: { caFile: dir } })).toBe(`bus.nats.tls.caFile: cannot read ${dir} (EISDIR)`);
  });

  it('refuses a client certificate without its key, and a key without its certificate', () => {
    expect(failure({ tls: { certFile: file('cert.pem', 'C') } })).toBe('bus.nats.tls: certFile without keyFile (a client certificate needs both)');
    expect(failure({ tls: { keyFile: file('key.pem', 'K') } })).toBe('bus.nats.tls: keyFile without certFile (a client certificate needs both)');
  });

  it('refuses a seed that is not a user NKey seed, without showing it', () => {
    const message = failure({ nkeySeed: 'SUNOTASEED' });
    expect(message).toBe('bus.nats.nkeySeed: not an NKey seed (a user seed starts with SU)');
    const account = new TextDecoder().decode(nkeys.createAccount().getSeed());
    const path = file('account.nk', account);
    expect(failure({ nkeySeedFile: path })).toBe(`bus.nats.nkeySeedFile (${path}): not a user NKey seed (a user seed starts with SU)`);
  });

  it('names a seed file it cannot read', () => {
    expect(failure({ nkeySeedFile: join(dir, 'none.nk') })).toBe(`bus.nats.nkeySeedFile: cannot read ${join(dir, 'none.nk')} (ENOENT)`);
  });
});
