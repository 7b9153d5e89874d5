import { ArgumentsHost, BadRequestException, Logger } from '@nestjs/common';
import { BusUnavailableError, NoResponderError, RemoteError } from '@patchbay/bus';
import { BusErrorFilter } from './bus-error.filter';

/** What the filter answered: the status, headers and JSON body it set. */
class FakeResponse {
  statusCode = 0;
  body: unknown;
  headersSent = false;
  readonly headers: Record<string, string> = {};
  setHeader(name: string, value: string): this {
    this.headers[name.toLowerCase()] = value;
    return this;
  }
  status(code: number): this {
    this.statusCode = code;
    return this;
  }
  json(body: unknown): this {
    this.body = body;
    return this;
  }
}

function httpHost(response: FakeResponse): ArgumentsHost {
  const request = { method: 'POST', path: '/api/messages' };
  return {
    getType: () => 'http',
    getArgByIndex: (i: number) => [request, response][i],
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }),
  } as unknown as ArgumentsHost;
}

describe('BusErrorFilter (HTTP)', () => {
  let logged: string[];
  let filter: BusErrorFilter;

  beforeEach(() => {
    logged = [];
    jest.spyOn(Logger.prototype, 'error').mockImplementation((message: unknown) => void logged.push(String(message)));
    // Nest's own reply path, for the HttpExceptions the filter leaves to it.
    const adapter = { isHeadersSent: () => false, reply: (res: FakeResponse, body: unknown, status: number) => res.status(status).json(body) };
    filter = new BusErrorFilter(adapter as never);
  });

  afterEach(() => jest.restoreAllMocks());

  it('answers an unexpected error with 500, an error id and "see the log", never its message, and logs it once', () => {
    const response = new FakeResponse();
    filter.catch(Object.assign(new Error('insert into "inbound_message" values ($1) - boom'), { code: '23502' }), httpHost(response));
    const body = response.body as { errorId: string };
    expect(response.statusCode).toBe(500);
    expect(body).toEqual({ statusCode: 500, error: 'internal', message: `internal error ${body.errorId}: see the log`, errorId: expect.stringMatching(/^[a-z2-7]{8}$/) });
    expect(logged).toEqual([`error ${body.errorId} in POST /api/messages: Error (database error), SQLSTATE 23502`]);
  });

  it("answers the engine's internal error with 502 and the engine's error id, logging nothing more", () => {
    const response = new FakeResponse();
    filter.catch(new RemoteError('pb.inbound.message', 'internal', 'internal error abcd2345', 'abcd2345'), httpHost(response));
    expect(response.statusCode).toBe(502);
    expect(response.body).toEqual({ statusCode: 502, error: 'internal', message: 'internal error abcd2345: see the log', errorId: 'abcd2345' });
    expect(logged).toEqual([]);
  });

  it('answers bus failures with their status and message', () => {
    const response = new FakeResponse();
    filter.catch(new NoResponderError('pb.inbound.message'), httpHost(response));
    expect(response.statusCode).toBe(503);
    expect(response.body).toEqual({ statusCode: 503, error: 'no_responder', message: 'the engine is not reachable: is it running?' });
    const notFound = new FakeResponse();
    filter.catch(new RemoteError('pb.query.tasks.get', 'not_found', 'no task abcd'), httpHost(notFound));
    expect([notFound.statusCode, notFound.body]).toEqual([404, { statusCode: 404, error: 'not_found', message: 'no task abcd' }]);
  });

  it('answers a message the bus could not take with 503, Retry-After and a short reason, never the NATS text', () => {
    const response = new FakeResponse();
    filter.catch(new BusUnavailableError('pb.inbound.durable', 'TIMEOUT', 'nothing was stored, try again'), httpHost(response));
    expect(response.statusCode).toBe(503);
    expect(response.headers).toEqual({ 'retry-after': '5' });
    expect(response.body).toEqual({ statusCode: 503, error: 'bus_unavailable', message: 'the message bus is unavailable (TIMEOUT); nothing was stored, try again' });
    expect(logged).toEqual([]);
  });

  it('asks for no retry later on other bus failures', () => {
    const response = new FakeResponse();
    filter.catch(new NoResponderError('pb.inbound.message'), httpHost(response));
    expect(response.headers).toEqual({});
  });

  it('leaves HttpExceptions to Nest', () => {
    const response = new FakeResponse();
    filter.catch(new BadRequestException('text: expected a string'), httpHost(response));
    expect([response.statusCode, response.body]).toEqual([400, { statusCode: 400, error: 'Bad Request', message: 'text: expected a string' }]);
  });
});
