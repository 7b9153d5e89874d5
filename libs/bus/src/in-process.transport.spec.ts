import { InProcessTransport } from './in-process.transport';
import { transportConformance } from './transport-conformance';

transportConformance('InProcessTransport', async () => new InProcessTransport());

describe('InProcessTransport', () => {
  it('reports a handler error with the subject to onHandlerError', async () => {
    const errors: Array<[string, unknown]> = [];
    const transport = new InProcessTransport((subject, error) => errors.push([subject, error]));
    const boom = new Error('boom');
    transport.subscribe('a.*', async () => {
      throw boom;
    });
    transport.publish('a.b', new Uint8Array());
    await transport.flush();
    expect(errors).toEqual([['a.b', boom]]);
    await transport.close();
  });

  it('refuses to publish once closed', async () => {
    const transport = new InProcessTransport();
    await transport.close();
    expect(() => transport.publish('a', new Uint8Array())).toThrow('in-process bus is closed');
  });
});
