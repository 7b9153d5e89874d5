import { readFileSync } from 'node:fs';
import { ConnectionOptions, credsAuthenticator, nkeyAuthenticator, nkeys } from 'nats';
import { ConfigError, NatsSecurityConfig } from '@patchbay/config';

/**
 * `bus.nats` as the `nats` client's connection options: one way of authenticating
 * (user/password, token, an NKey seed or a creds file) and TLS. Every NATS connection
 * (core and JetStream) is made with these. Errors name the key and what is wrong, never a
 * secret's value.
 */
export function natsSecurityOptions(nats: NatsSecurityConfig): ConnectionOptions {
  const options: ConnectionOptions = {};
  const methods = [
    (nats.user !== undefined || nats.password !== undefined) && 'user/password',
    nats.token !== undefined && 'token',
    (nats.nkeySeed !== undefined || nats.nkeySeedFile !== undefined) && 'nkeySeed',
    nats.credsFile !== undefined && 'credsFile',
  ].filter((m): m is string => typeof m === 'string');
  if (methods.length > 1) throw new ConfigError(`bus.nats: give one way to authenticate, not ${methods.join(' and ')}`);
  if (nats.nkeySeed !== undefined && nats.nkeySeedFile !== undefined) {
    throw new ConfigError('bus.nats: give the NKey seed as nkeySeed or as nkeySeedFile, not both');
  }
  if ((nats.user === undefined) !== (nats.password === undefined)) {
    throw new ConfigError(`bus.nats: ${nats.user === undefined ? 'password without user' : 'user without password'}`);
  }
  if (nats.user !== undefined) Object.assign(options, { user: nats.user, pass: nats.password });
  if (nats.token !== undefined) options.token = nats.token;
  const seed = nats.nkeySeed ?? (nats.nkeySeedFile !== undefined ? readSecretFile('bus.nats.nkeySeedFile', nats.nkeySeedFile).trim() : undefined);
  if (seed !== undefined) {
    const from = nats.nkeySeed !== undefined ? 'bus.nats.nkeySeed' : `bus.nats.nkeySeedFile (${nats.nkeySeedFile})`;
    options.authenticator = nkeyAuthenticator(userSeed(from, seed));
  }
  if (nats.credsFile !== undefined) {
    options.authenticator = credsAuthenticator(new TextEncoder().encode(readSecretFile('bus.nats.credsFile', nats.credsFile)));
  }
  if (nats.tls) {
    const { caFile, certFile, keyFile } = nats.tls;
    if ((certFile === undefined) !== (keyFile === undefined)) {
      throw new ConfigError(`bus.nats.tls: ${certFile === undefined ? 'keyFile without certFile' : 'certFile without keyFile'} (a client certificate needs both)`);
    }
    options.tls = {
      ...(caFile !== undefined && { ca: readSecretFile('bus.nats.tls.caFile', caFile) }),
      ...(certFile !== undefined && { cert: readSecretFile('bus.nats.tls.certFile', certFile) }),
      ...(keyFile !== undefined && { key: readSecretFile('bus.nats.tls.keyFile', keyFile) }),
    };
  }
  return options;
}

function readSecretFile(key: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${key}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/** The seed as bytes, checked now (the client would only fail at connect, less clearly). */
function userSeed(from: string, seed: string): Uint8Array {
  const bytes = new TextEncoder().encode(seed);
  try {
    nkeys.fromSeed(bytes);
  } catch {
    throw new ConfigError(`${from}: not an NKey seed (a user seed starts with SU)`);
  }
  if (!seed.startsWith('SU')) throw new ConfigError(`${from}: not a user NKey seed (a user seed starts with SU)`);
  return bytes;
}
