import { signBody, verifySignature } from './github-signature';

describe('verifySignature', () => {
  const body = Buffer.from('{"action":"opened"}');

  it('accepts the HMAC-SHA256 of the raw body, in any hex case', () => {
    const header = signBody('s3cret', body);
    expect(header).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifySignature('s3cret', body, header)).toBe(true);
    expect(verifySignature('s3cret', body, header.toUpperCase().replace('SHA256', 'sha256'))).toBe(true);
  });

  it('refuses another secret, another body, a missing or malformed header, an empty secret', () => {
    const header = signBody('s3cret', body);
    expect(verifySignature('other', body, header)).toBe(false);
    expect(verifySignature('s3cret', Buffer.from('{"action":"opened" }'), header)).toBe(false);
    expect(verifySignature('s3cret', body, undefined)).toBe(false);
    expect(verifySignature('s3cret', body, header.slice(0, -2))).toBe(false);
    expect(verifySignature('s3cret', body, `sha1=${header.slice(7)}`)).toBe(false);
    expect(verifySignature('', body, signBody('', body))).toBe(false);
  });
});
