import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export class GitError extends Error {
  constructor(
    readonly args: string[],
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} failed: ${stderr.trim() || 'no output'}`);
    this.name = 'GitError';
  }
}

/**
 * For commands that talk to a remote: git must fail rather than wait for a password nobody
 * types. GIT_TERMINAL_PROMPT=0 stops git's own prompts; a new session (no controlling
 * terminal) stops ssh's passphrase and host-key questions. The repository's own config
 * (credential helpers, core.sshCommand) still applies.
 */
const NO_PROMPTS = { env: { ...process.env, GIT_TERMINAL_PROMPT: '0' }, detached: true };

/** Every git command Patchbay runs goes through here. */
export class GitClient {
  async exec(repo: string, args: string[], options: { remote?: boolean } = {}): Promise<string> {
    try {
      const { stdout } = await run('git', ['-C', repo, ...args], { timeout: 60_000, ...(options.remote ? NO_PROMPTS : {}) });
      return stdout;
    } catch (error) {
      const e = error as NodeJS.ErrnoException & { stderr?: string };
      if (e.code === 'ENOENT') throw new Error('git is not installed');
      throw new GitError(args, e.stderr ?? e.message);
    }
  }

  async branchExists(repo: string, branch: string): Promise<boolean> {
    try {
      await this.exec(repo, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`]);
      return true;
    } catch (error) {
      if (error instanceof GitError) return false;
      throw error;
    }
  }

  /** A new worktree at `path` on a new branch starting at `start`. */
  async addWorktree(repo: string, path: string, branch: string, start: string): Promise<void> {
    await this.exec(repo, ['worktree', 'add', '-b', branch, path, start]);
  }

  /** In an existing worktree: a new branch from where it stands, checked out. */
  async newBranchHere(worktree: string, branch: string): Promise<void> {
    await this.exec(worktree, ['switch', '-c', branch]);
  }

  async removeWorktree(repo: string, path: string): Promise<void> {
    await this.exec(repo, ['worktree', 'remove', '--force', path]);
  }

  /** The commit `rev` names. */
  async commitOf(repo: string, rev: string): Promise<string> {
    return (await this.exec(repo, ['rev-parse', '--verify', `${rev}^{commit}`])).trim();
  }

  /** How many commits `branch` has that `start` does not. */
  async commitsAfter(repo: string, start: string, branch: string): Promise<number> {
    return Number((await this.exec(repo, ['rev-list', '--count', `${start}..refs/heads/${branch}`])).trim());
  }

  /** Pushes the branch to the same name on `remote`; never force, never prompts. */
  async push(repo: string, remote: string, branch: string): Promise<void> {
    const ref = `refs/heads/${branch}`;
    try {
      await this.exec(repo, ['push', remote, `${ref}:${ref}`], { remote: true });
    } catch (error) {
      if (!(error instanceof GitError)) throw error;
      // A remote URL may carry a token (https://user:token@host): it must not reach a chat.
      const said = error.stderr.split('\n').filter((line) => !line.startsWith('hint:'));
      throw new GitError(error.args, withoutCredentials(said.join('\n')));
    }
  }
}

/** `scheme://user:secret@host` → `scheme://host`. */
export function withoutCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, '$1');
}
