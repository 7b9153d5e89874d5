import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { SystemAgentHost } from './agent-host';

describe('SystemAgentHost.installed', () => {
  let dir: string;
  let modules: string;
  let user: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pb-agent-host-'));
    modules = join(dir, 'checkout', 'node_modules');
    user = join(dir, 'user-bin');
    for (const bin of [join(modules, '.bin'), user]) {
      mkdirSync(bin, { recursive: true });
      writeFileSync(join(bin, 'claude'), '#!/bin/sh\n');
      chmodSync(join(bin, 'claude'), 0o755);
    }
    // A PATH folder elsewhere that is a link into Patchbay's node_modules is still not the user's.
    symlinkSync(join(modules, '.bin'), join(dir, 'linked-bin'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const host = (...path: string[]) => new SystemAgentHost({ PATH: path.join(delimiter) }, modules);

  it("does not count a CLI found only in Patchbay's own node_modules/.bin", () => {
    expect(host(join(modules, '.bin')).installed('claude')).toBe(false);
    expect(host(join(dir, 'linked-bin')).installed('claude')).toBe(false);
  });

  it("counts the user's own install, before or after Patchbay's", () => {
    expect(host(join(modules, '.bin'), user).installed('claude')).toBe(true);
    expect(host(user, join(modules, '.bin')).installed('claude')).toBe(true);
  });

  it('counts a command configured by path, wherever it is', () => {
    expect(host().installed(join(modules, '.bin', 'claude'))).toBe(true);
  });
});
