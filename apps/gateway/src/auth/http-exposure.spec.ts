import { ConfigError } from '@patchbay/config';
import { assertHttpExposure } from './http-exposure';

const http = (host: string, tokens: Array<{ name: string; token: string; role: 'owner' }> = []) => ({ http: { host, tokens } }) as never;

describe('assertHttpExposure', () => {
  it.each(['127.0.0.1', '127.0.0.2', '::1', 'localhost'])('lets %s run without a token', (host) => {
    expect(() => assertHttpExposure(http(host))).not.toThrow();
  });

  it.each(['0.0.0.0', '::', '192.0.2.1', 'patchbay.example.com'])('refuses %s without a token, naming the fix', (host) => {
    expect(() => assertHttpExposure(http(host))).toThrow(ConfigError);
    expect(() => assertHttpExposure(http(host))).toThrow(/http\.tokens.*PATCHBAY_API_TOKEN/);
  });

  it('lets any host run with a token', () => {
    expect(() => assertHttpExposure(http('0.0.0.0', [{ name: 'a', token: 'x'.repeat(16), role: 'owner' }]))).not.toThrow();
  });
});
