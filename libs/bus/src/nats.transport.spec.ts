import { ErrorCode, NatsError } from 'nats';
import { BusUnavailableError, NoResponderError, RequestTimeoutError } from './bus.errors';
import { busErrorOf } from './nats.transport';

describe('busErrorOf', () => {
  const natsError = (code: string) => new NatsError(`nats internals for ${code}: 10.0.0.7:4222 …`, code);

  it('turns no responders and a request timeout into their BusErrors', () => {
    expect(busErrorOf(natsError(ErrorCode.NoResponders), 'pb.query.tasks', 1_000)).toBeInstanceOf(NoResponderError);
    expect(busErrorOf(natsError(ErrorCode.Timeout), 'pb.query.tasks', 1_000)).toEqual(new RequestTimeoutError('pb.query.tasks', 1_000));
  });

  it.each([ErrorCode.ConnectionClosed, ErrorCode.Disconnect, ErrorCode.ConnectionDraining, ErrorCode.Timeout])(
    'turns %s into bus_unavailable with the code as its only reason',
    (code) => {
      const error = busErrorOf(natsError(code), 'pb.inbound.durable');
      expect(error).toBeInstanceOf(BusUnavailableError);
      expect(error).toMatchObject({ code: 'bus_unavailable', reason: code, message: `the message bus is unavailable (${code}); try again` });
    },
  );

  it('leaves any other error as it is', () => {
    const error = new TypeError('not a bus failure');
    expect(busErrorOf(error, 'pb.query.tasks')).toBe(error);
  });
});
