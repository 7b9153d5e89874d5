import { Logger } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentProfile } from '@patchbay/agents';
import { RunRequestV1 } from '@patchbay/contracts';
import { GitClient, GitError } from '@patchbay/git';

export type RunOutcome = 'done' | 'failed';

/** The remote a task branch is pushed to. */
const REMOTE = 'origin';

/** A task branch that went to the remote. */
export interface Published {
  branch: string;
  /** Commits the task made on its branch. */
  commits: number;
  remote: string;
}

/** Publishing the task branch failed; the message says why, without credentials. */
export class PublishError extends Error {
  constructor(
    readonly branch: string,
    readonly remote: string,
    reason: string,
  ) {
    super(`could not push branch ${branch} to ${remote}: ${reason}`);
    this.name = 'PublishError';
  }
}

export interface Workspace {
  cwd: string;
  /**
   * After a successful run: pushes the task branch to `origin` when the profile says
   * `worktree.push` and the task committed on it. Null when nothing was pushed; a
   * PublishError when the push failed.
   */
  publish(): Promise<Published | null>;
  /** After the run: removes a worktree if the profile's cleanup policy says so. */
  release(outcome: RunOutcome): Promise<void>;
}

/** Where a session's latest task branch started: its commits are the ones after it. */
interface BranchStart {
  branch: string;
  commit: string;
}

/**
 * Where a run works: the profile's `cwd`, or a git worktree of the profile's repository.
 * A session keeps one worktree folder (so a resumed agent finds its files where it left
 * them) and each task gets its own branch `patchbay/<task>`, started from the session's
 * previous branch, so parallel sessions never write the same tree.
 */
export class Workspaces {
  private readonly logger = new Logger(Workspaces.name);
  /**
   * Worktree changes per repository, one at a time: `git worktree add` reads the metadata
   * of the repository's other worktrees and fails when one is being written alongside.
   */
  private readonly repoQueues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly home: string,
    private readonly git = new GitClient(),
  ) {}

  /** Creates (or re-enters) the run's workspace. */
  async prepare(profile: AgentProfile, request: RunRequestV1): Promise<Workspace> {
    const worktree = profile.worktree;
    if (!worktree) return this.plain(profile);
    const path = this.pathOf(request);
    const branch = branchOf(request);
    const lastBranchFile = `${path}.branch`;
    await this.serially(worktree.repo, async () => {
      if (await this.git.branchExists(worktree.repo, branch)) return;
      if (existsSync(path)) {
        await this.git.newBranchHere(path, branch);
      } else {
        const previous = await readFile(lastBranchFile, 'utf8').then(
          (b) => b.trim(),
          () => null,
        );
        await mkdir(join(this.home, 'worktrees'), { recursive: true });
        await this.git.addWorktree(worktree.repo, path, branch, previous ?? worktree.base);
      }
      await writeFile(lastBranchFile, branch);
      const start: BranchStart = { branch, commit: await this.git.commitOf(worktree.repo, `refs/heads/${branch}`) };
      await writeFile(`${path}.start`, JSON.stringify(start));
      this.logger.log(`task ${request.taskId}: worktree ${path} on branch ${branch}`);
    });
    return this.handle(profile, request);
  }

  /** The workspace of a run that already started (a restarted runner adopting it). */
  handle(profile: AgentProfile, request: RunRequestV1): Workspace {
    const worktree = profile.worktree;
    if (!worktree) return this.plain(profile);
    const path = this.pathOf(request);
    return {
      cwd: path,
      publish: () => (worktree.push ? this.publish(worktree.repo, path, branchOf(request)) : Promise.resolve(null)),
      release: async (outcome) => {
        if (worktree.cleanup === 'never' || (worktree.cleanup === 'on_success' && outcome !== 'done')) return;
        // The branch keeps the work; the next run of the session adds the folder again from it.
        await this.serially(worktree.repo, () => this.git.removeWorktree(worktree.repo, path)).catch((error) => this.logger.warn((error as Error).message));
      },
    };
  }

  private plain(profile: AgentProfile): Workspace {
    return { cwd: profile.cwd ?? process.cwd(), publish: async () => null, release: async () => {} };
  }

  private async publish(repo: string, path: string, branch: string): Promise<Published | null> {
    const start = await readFile(`${path}.start`, 'utf8').then(
      (text) => JSON.parse(text) as BranchStart,
      () => null,
    );
    if (start?.branch !== branch) {
      // Another task of the session made its branch since (this one is a retry): its commits cannot be told apart.
      this.logger.warn(`${branch}: where it started is not known; not pushed`);
      return null;
    }
    try {
      const commits = await this.git.commitsAfter(repo, start.commit, branch);
      if (commits === 0) return null;
      await this.git.push(repo, REMOTE, branch);
      this.logger.log(`pushed ${branch} (${commits} commit(s)) to ${REMOTE}`);
      return { branch, commits, remote: REMOTE };
    } catch (error) {
      throw new PublishError(branch, REMOTE, error instanceof GitError ? error.stderr.trim() || error.message : (error as Error).message);
    }
  }

  private serially<T>(repo: string, work: () => Promise<T>): Promise<T> {
    const done = (this.repoQueues.get(repo) ?? Promise.resolve()).then(work);
    this.repoQueues.set(
      repo,
      done.catch(() => undefined),
    );
    return done;
  }

  private pathOf(request: RunRequestV1): string {
    return join(this.home, 'worktrees', request.sessionId);
  }
}

function branchOf(request: RunRequestV1): string {
  return `patchbay/${request.taskId}`;
}
