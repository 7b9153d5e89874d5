import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, NatsSecurityConfig } from '@patchbay/config';
import { newId } from '@patchbay/contracts';
import { freePort } from '../../../test/support/patchbay-processes';
import { Bus } from './bus';
import { natsSecurityOptions } from './nats-options';
import { NatsTransport } from './nats.transport';
import { PrivateNatsServer } from '../../../test/support/private-nats-server';

jest.setTimeout(30_000);

/** A CA, and a server certificate for 127.0.0.1 it signed, made with openssl in `dir`. */
function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=patchbay-test-ca');
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'san.cnf');
  return { ca: join(dir, 'ca.pem'), cert: join(dir, 'server.pem'), key: join(dir, 'server.key') };
}

/**
 * Patchbay's NATS connection against a private nats-server with TLS and users with
 * per-user permissions, as docs/OPERATIONS.md describes: user/password over TLS works, a
 * wrong password fails clearly, and a user not allowed `<prefix>.inbound.>` cannot publish there.
 */
describe('NATS credentials and TLS (a private nats-server)', () => {
  const prefix = `pbtest${newId(6)}`;
  let dir: string;
  let server: PrivateNatsServer;
  let url: string;
  let caFile: string;
  const transports: NatsTransport[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pb-nats-tls-'));
    const certs = makeCertificates(dir);
    caFile = certs.ca;
    const port = await freePort();
    url = `nats://127.0.0.1:${port}`;
    const config = join(dir, 'nats.conf');
    writeFileSync(
      config,
      `listen: 127.0.0.1:${port}
tls { cert_file: "${certs.cert}", key_file: "${certs.key}" }
authorization {
  users = [
    { user: engine, password: "engine-password", permissions: { publish: ">", subscribe: ">" } }
    { user: runner, password: "runner-password", permissions: { publish: { allow: ">", deny: "${prefix}.inbound.>" }, subscribe: ">" } }
  ]
}
`,
    );
    server = new PrivateNatsServer(['-c', config]);
    await server.start();
  });

  afterAll(async () => {
    await Promise.all(transports.map((t) => t.close()));
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const connectAs = async (nats: NatsSecurityConfig): Promise<NatsTransport> => {
    const transport = await NatsTransport.connect(url, 'nats-security-spec', undefined, natsSecurityOptions(nats));
    transports.push(transport);
    return transport;
  };

  it('connects with user/password over TLS (the CA from bus.nats.tls.caFile), and the bus works', async () => {
    const bus = new Bus(await connectAs({ user: 'engine', password: 'engine-password', tls: { caFile } }), { prefix, requestTimeoutMs: 5_000 });
    bus.respond('engine.status', async () => ({ database: { ok: true, detail: 'over TLS' } }));
    await bus.transport.flush();
    expect(await bus.request('engine.status', {})).toEqual({ database: { ok: true, detail: 'over TLS' } });
  });

  it('fails with a clear error for a wrong password', async () => {
    const connecting = connectAs({ user: 'engine', password: 'wrong-password', tls: { caFile } });
    await expect(connecting).rejects.toBeInstanceOf(ConfigError);
    await expect(connecting).rejects.toThrow('NATS refused the credentials: check bus.nats (or PATCHBAY_NATS_USER, _PASSWORD, _TOKEN, _NKEY_SEED, PATCHBAY_NATS_CREDS)');
  });

  it('fails without the CA that signed the server certificate', async () => {
    await expect(connectAs({ user: 'engine', password: 'engine-password' })).rejects.toThrow(/certificate/i);
  });

  it('keeps a user without permission for <prefix>.inbound.> from publishing there', async () => {
    const engine = await connectAs({ user: 'engine', password: 'engine-password', tls: { caFile } });
    const runner = await connectAs({ user: 'runner', password: 'runner-password', tls: { caFile } });
    const seen: string[] = [];
    let allowedArrived!: () => void;
    const arrived = new Promise<void>((resolve) => (allowedArrived = resolve));
    engine.subscribe(`${prefix}.>`, async ({ subject }) => {
      seen.push(subject);
      if (subject === `${prefix}.runner.heartbeat`) allowedArrived();
    });
    await engine.flush();
    // The server handles one connection's messages in order: had the first passed, it would arrive first.
    runner.publish(`${prefix}.inbound.durable`, new TextEncoder().encode('{"channel":"local"}'));
    runner.publish(`${prefix}.runner.heartbeat`, new TextEncoder().encode('{}'));
    await arrived;
    expect(seen).toEqual([`${prefix}.runner.heartbeat`]);
  });
});
