import { Logger } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentProfile } from '@patchbay/agents';
import { RunRequestV1 } from '@patchbay/contracts';
import { GitClient } from '@patchbay/git';

export type RunOutcome = 'done' | 'failed';

export interface Workspace {
  cwd: string;
  /** After the run: removes a worktree if the profile's cleanup policy says so. */
  release(outcome: RunOutcome): Promise<void>;
}

/**
 * Where a run works: the profile's `cwd`, or a git worktree of the profile's repository.
 * A session keeps one worktree folder (so a resumed agent finds its files where it left
 * them) and each task gets its own branch `patchbay/<task>`, started from the session's
 * previous branch, so parallel sessions never write the same tree.
 */
export class Workspaces {
  private readonly logger = new Logger(Workspaces.name);

  constructor(
    private readonly home: string,
    private readonly git = new GitClient(),
  ) {}

  /** Creates (or re-enters) the run's workspace. */
  async prepare(profile: AgentProfile, request: RunRequestV1): Promise<Workspace> {
    const worktree = profile.worktree;
    if (!worktree) return { cwd: profile.cwd ?? process.cwd(), release: async () => {} };
    const path = this.pathOf(request);
    const branch = `patchbay/${request.taskId}`;
    const lastBranchFile = `${path}.branch`;
    if (!(await this.git.branchExists(worktree.repo, branch))) {
      if (existsSync(path)) {
        await this.git.newBranchHere(path, branch);
      } else {
        const previous = await readFile(lastBranchFile, 'utf8').then((b) => b.trim(), () => null);
        await mkdir(join(this.home, 'worktrees'), { recursive: true });
        await this.git.addWorktree(worktree.repo, path, branch, previous ?? worktree.base);
      }
      await writeFile(lastBranchFile, branch);
      this.logger.log(`task ${request.taskId}: worktree ${path} on branch ${branch}`);
    }
    return this.handle(profile, request);
  }

  /** The workspace of a run that already started (a restarted runner adopting it). */
  handle(profile: AgentProfile, request: RunRequestV1): Workspace {
    const worktree = profile.worktree;
    if (!worktree) return { cwd: profile.cwd ?? process.cwd(), release: async () => {} };
    const path = this.pathOf(request);
    return {
      cwd: path,
      release: async (outcome) => {
        if (worktree.cleanup === 'never' || (worktree.cleanup === 'on_success' && outcome !== 'done')) return;
        // The branch keeps the work; the next run of the session adds the folder again from it.
        await this.git.removeWorktree(worktree.repo, path).catch((error) => this.logger.warn((error as Error).message));
      },
    };
  }

  private pathOf(request: RunRequestV1): string {
    return join(this.home, 'worktrees', request.sessionId);
  }
}
