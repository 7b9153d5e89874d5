/** Queue group of engines: each inbound message and output event is handled by one. */
export const ENGINE_QUEUE = 'engine';
