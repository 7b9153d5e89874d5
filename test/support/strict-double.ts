/**
 * A test double that has exactly the members a spec gives it: touching any other member
 * throws, naming it, so a unit under test cannot call what the spec did not expect.
 * `calls` records every call of a given function member, in order.
 */
export function strictDouble<T extends object>(name: string, members: Partial<Record<keyof T, unknown>>): T & { calls: Array<[string, unknown[]]> } {
  const calls: Array<[string, unknown[]]> = [];
  const wrapped: Record<string | symbol, unknown> = { calls };
  for (const [key, value] of Object.entries(members)) {
    wrapped[key] =
      typeof value === 'function'
        ? (...args: unknown[]) => {
            calls.push([key, args]);
            return (value as (...a: unknown[]) => unknown)(...args);
          }
        : value;
  }
  return new Proxy(wrapped, {
    get(target, property) {
      if (property in target) return target[property];
      // Promise resolution and jest's printing probe these; they are not calls.
      if (property === 'then' || typeof property === 'symbol' || property === 'asymmetricMatch' || property === 'toJSON') return undefined;
      throw new Error(`${name}.${String(property)} was not expected by this spec`);
    },
  }) as T & { calls: Array<[string, unknown[]]> };
}
