import { ConfigError, PatchbayConfig } from '@patchbay/config';
import { isLoopbackAddress } from './request-checks';

/**
 * Start-up check: an HTTP API reachable from other machines must require a token, since
 * without one every caller would be the local owner.
 */
export function assertHttpExposure(config: Pick<PatchbayConfig, 'http'>): void {
  const { host, tokens } = config.http;
  if (isLoopbackAddress(host) || tokens.length > 0) return;
  throw new ConfigError(
    `http.host is ${host}, which other machines can reach, and no API token is configured: ` +
      'add http.tokens (name, token of 16+ characters, role) or set PATCHBAY_API_TOKEN, or listen on 127.0.0.1',
  );
}
