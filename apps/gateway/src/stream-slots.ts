/**
 * Counts open event streams per client (remote address) and in all, so nobody can hold
 * the gateway's sockets and bus subscriptions with endless SSE streams. take() claims a
 * slot or says why not; the release it returns frees it (once, however often called).
 */
export class StreamSlots {
  private readonly perClient = new Map<string, number>();
  private total = 0;

  constructor(private readonly limits: { perClient: number; total: number }) {}

  take(client: string): { release: () => void } | { refused: string } {
    const held = this.perClient.get(client) ?? 0;
    if (held >= this.limits.perClient) return { refused: `too many open event streams from ${client} (at most ${this.limits.perClient}): close one first` };
    if (this.total >= this.limits.total) return { refused: `too many open event streams (at most ${this.limits.total} in all): try again later` };
    this.perClient.set(client, held + 1);
    this.total++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.total--;
        const left = (this.perClient.get(client) ?? 1) - 1;
        if (left === 0) this.perClient.delete(client);
        else this.perClient.set(client, left);
      },
    };
  }
}
