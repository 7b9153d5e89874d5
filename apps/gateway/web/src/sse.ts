export interface StreamHandlers {
  /** A message: its event name (`message` for output), its data parsed, and its id. */
  onEvent(type: string, data: unknown, id: string): void;
  /** The server ended the stream (a session's run is over), or it failed. */
  onEnd?(): void;
}

/**
 * Follows a server-sent event stream of the API. `after` resumes after that event id
 * (the same contract as Last-Event-ID); the stream is not reopened once the server ends it.
 */
export function follow(path: string, handlers: StreamHandlers, types: string[] = ['message']): () => void {
  const source = new EventSource(path);
  for (const type of types) {
    source.addEventListener(type, (event) => {
      const message = event as MessageEvent<string>;
      let data: unknown;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      handlers.onEvent(type, data, message.lastEventId);
    });
  }
  source.onerror = () => {
    source.close();
    handlers.onEnd?.();
  };
  return () => source.close();
}
