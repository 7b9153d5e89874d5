/**
 * Ids seen lately (webhook delivery ids, GitHub action ids), each kept `ttlMs`, at most
 * `maxSize` of them (the oldest go first). In memory: after a restart the engine's
 * permanent dedup of message ids is what keeps a redelivery from running twice.
 */
export class RecentIds {
  /** id → when it may be seen again; insertion order is expiry order (one ttl for all). */
  private readonly ids = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxSize: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** True the first time `id` comes within the ttl (it is then remembered); false for a repeat. */
  claim(id: string): boolean {
    const now = this.now();
    for (const [old, expires] of this.ids) {
      if (expires > now) break;
      this.ids.delete(old);
    }
    if (this.ids.has(id)) return false;
    if (this.ids.size >= this.maxSize) this.ids.delete(this.ids.keys().next().value!);
    this.ids.set(id, now + this.ttlMs);
    return true;
  }

  /** Whether `id` was claimed within the ttl (without claiming it). */
  has(id: string): boolean {
    const expires = this.ids.get(id);
    return expires !== undefined && expires > this.now();
  }

  /** Handling `id` failed: let its next delivery through. */
  forget(id: string): void {
    this.ids.delete(id);
  }
}
