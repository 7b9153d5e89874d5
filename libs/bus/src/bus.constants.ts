/** Injection token of the process's InboundQueue. */
export const INBOUND_QUEUE = Symbol('INBOUND_QUEUE');
