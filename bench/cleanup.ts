/**
 * Clean-ups the benchmarks register while they hold something outside this process (Patchbay
 * processes, tmux servers, databases, scratch folders). A benchmark runs its own in `finally`;
 * these run too when `npm run bench` is interrupted (SIGINT, SIGTERM), where `finally` would not.
 */
const pending = new Set<() => Promise<void>>();
let signalled = false;

/** True once SIGINT or SIGTERM arrived: clean-ups may find their processes already stopping. */
export function interrupted(): boolean {
  return signalled;
}

/** Registers a clean-up; the returned function runs it (once) and unregisters it. */
export function onCleanup(cleanup: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  const once = () => (done ??= cleanup().finally(() => pending.delete(once)));
  pending.add(once);
  return once;
}

/** Runs every clean-up still registered, newest first; errors are printed, not thrown. */
export async function runCleanups(): Promise<void> {
  for (const cleanup of [...pending].reverse()) {
    await cleanup().catch((error: unknown) => console.error(`clean-up failed: ${(error as Error).message}`));
  }
}

/** On SIGINT/SIGTERM: clean up, then exit with the conventional status. */
export function cleanUpOnSignals(): void {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(signal, () => {
      signalled = true;
      console.error(`\n${signal}: cleaning up…`);
      void runCleanups().finally(() => process.exit(code));
    });
  }
}
