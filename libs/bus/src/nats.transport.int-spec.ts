import { randomBytes } from 'node:crypto';
import { describeWith, NATS_URL } from '../../../test/support/services';
import { NatsTransport } from './nats.transport';
import { transportConformance } from './transport-conformance';

describeWith(['nats'], 'NatsTransport', () => {
  transportConformance('NatsTransport', () => NatsTransport.connect(NATS_URL, 'test'));

  describe('between two connections', () => {
    let a: NatsTransport;
    let b: NatsTransport;
    const subject = `t${randomBytes(6).toString('hex')}.ping`;

    beforeEach(async () => {
      [a, b] = await Promise.all([NatsTransport.connect(NATS_URL, 'test-a'), NatsTransport.connect(NATS_URL, 'test-b')]);
    });
    afterEach(async () => {
      await Promise.all([a.close(), b.close()]);
    });

    it('answers a request made on one connection from a subscriber on the other', async () => {
      b.subscribe(subject, async ({ data, respond }) => respond?.(new TextEncoder().encode(`pong ${new TextDecoder().decode(data)}`)));
      await b.flush(); // the subscription has reached the server
      const reply = await a.request(subject, new TextEncoder().encode('1'), 2_000);
      expect(new TextDecoder().decode(reply)).toBe('pong 1');
    });

    it('reports a handler error with the subject to onHandlerError', async () => {
      const errors: Array<[string, unknown]> = [];
      const c = await NatsTransport.connect(NATS_URL, 'test-c', (s, e) => errors.push([s, e]));
      const boom = new Error('boom');
      c.subscribe(subject, async () => {
        throw boom;
      });
      await c.flush();
      a.publish(subject, new Uint8Array());
      await a.flush();
      await c.close(); // drains: the message is handled before close resolves
      expect(errors).toEqual([[subject, boom]]);
    });
  });
});
