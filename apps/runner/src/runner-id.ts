import { hostname } from 'node:os';
import type { PatchbayConfig } from '@patchbay/config';

/** The runner's id: runner.id (PATCHBAY_RUNNER_ID), else one per machine. */
export function runnerIdOf(config: PatchbayConfig): string {
  return config.runner.id ?? `runner-${hostname()}`;
}
