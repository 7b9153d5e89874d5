/** Base class of every error the bus raises, so callers can tell bus trouble apart. */
export class BusError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Nobody subscribes to a request's subject: fail at once, never hang. */
export class NoResponderError extends BusError {
  constructor(readonly subject: string) {
    super(`no responder for ${subject}: is the service that handles it running?`, 'no_responder');
  }
}

export class RequestTimeoutError extends BusError {
  constructor(
    readonly subject: string,
    readonly timeoutMs: number,
  ) {
    super(`request on ${subject} got no reply within ${timeoutMs} ms`, 'timeout');
  }
}

/** A payload that does not match its subject's schema. */
export class PayloadValidationError extends BusError {
  constructor(
    readonly subject: string,
    readonly reason: string,
  ) {
    super(`invalid payload on ${subject}: ${reason}`, 'invalid_payload');
  }
}

/**
 * The responder ran and failed; its code and message travel back to the requester, and for
 * an unexpected failure the id of the responder's log line.
 */
export class RemoteError extends BusError {
  constructor(
    readonly subject: string,
    code: string,
    message: string,
    readonly errorId?: string,
  ) {
    super(message, code);
  }
}

/**
 * The broker could not take the message (disconnected, closed, JetStream not answering):
 * worth trying again soon. `reason` is a short NATS code, never the client's error text;
 * `consequence` tells the caller what became of what it sent.
 */
export class BusUnavailableError extends BusError {
  constructor(
    readonly subject: string,
    readonly reason: string,
    consequence = 'try again',
  ) {
    super(`the message bus is unavailable (${reason}); ${consequence}`, 'bus_unavailable');
  }
}
