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

/** Every git command Patchbay runs goes through here. */
export class GitClient {
  async exec(repo: string, args: string[]): Promise<string> {
    try {
      const { stdout } = await run('git', ['-C', repo, ...args], { timeout: 60_000 });
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
}
