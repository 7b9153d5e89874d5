import { withoutCredentials } from './git.client';

describe('withoutCredentials', () => {
  it('drops the user and secret from URLs, leaving the rest of the text', () => {
    expect(withoutCredentials("fatal: unable to access 'https://x-access-token:ghs_abc@github.com/o/r.git/': 403")).toBe(
      "fatal: unable to access 'https://github.com/o/r.git/': 403",
    );
    expect(withoutCredentials('ssh://git@host:22/repo and https://tok@h/x')).toBe('ssh://host:22/repo and https://h/x');
    expect(withoutCredentials('error: failed to push some refs to /srv/origin.git')).toBe('error: failed to push some refs to /srv/origin.git');
  });
});
