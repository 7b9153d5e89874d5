import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import { RateLimitedError, RendererClock, systemClock } from '@patchbay/plugin-sdk';
import { ContentPacer } from './content-pacer';

export interface GitHubAuth {
  /** A personal access token or a machine user's token (GITHUB_TOKEN)… */
  token?: string;
  /** …or a GitHub App: its id and private key (PEM) give installation tokens. */
  appId?: string;
  privateKey?: string;
  /** REST API base (GITHUB_API_URL); https://api.github.com by default. */
  apiUrl?: string;
}

/** Who Patchbay is on GitHub. */
export interface GitHubIdentity {
  /** The login its comments carry (an App's is `<slug>[bot]`). */
  login: string;
  /** Names people mention it by, without the @. */
  handles: string[];
}

export interface NewPull {
  title: string;
  body: string;
  head: string;
  base: string;
}

export interface OpenedPull {
  number: number;
  url: string;
}

/** A repository item as the REST API lists it; only what polling reads is typed. */
export type RestItem = Record<string, unknown>;

const DEFAULT_API_URL = 'https://api.github.com';
/** GitHub asks to wait at least a minute after a secondary rate limit that names no time. */
const SECONDARY_LIMIT_WAIT_MS = 60_000;
/** Polling reads at most this many pages of 100 per list and repository. */
const MAX_PAGES = 5;

/**
 * Every call Patchbay makes to GitHub's REST API, through the real Octokit client, as a
 * token or as a GitHub App (an installation token per repository's installation).
 * Content-creating calls go through the account's ContentPacer; GitHub's rate-limit
 * answers (403/429 with retry-after or x-ratelimit-reset) become RateLimitedError and
 * hold back every other content-creating call too.
 */
export class GitHubClient {
  readonly apiUrl: string;
  private readonly token?: Octokit;
  private readonly app?: Octokit;
  private readonly installations = new Map<string, number>();
  private readonly byInstallation = new Map<number, Octokit>();

  constructor(
    private readonly auth: GitHubAuth,
    private readonly pacer: ContentPacer,
    private readonly clock: RendererClock = systemClock,
  ) {
    this.apiUrl = (auth.apiUrl ?? DEFAULT_API_URL).replace(/\/+$/, '');
    if (auth.token) this.token = new Octokit({ auth: auth.token, baseUrl: this.apiUrl });
    else if (auth.appId && auth.privateKey) this.app = new Octokit({ authStrategy: createAppAuth, auth: this.appAuth(), baseUrl: this.apiUrl });
    else throw new Error('github needs a token, or an appId and a privateKey');
  }

  /** The token's user, or the App's bot user. */
  async identity(): Promise<GitHubIdentity> {
    if (this.token) {
      const { data } = await this.token.rest.users.getAuthenticated();
      return { login: data.login, handles: [data.login] };
    }
    const { data } = await this.app!.rest.apps.getAuthenticated();
    const slug = data?.slug ?? String(this.auth.appId);
    return { login: `${slug}[bot]`, handles: [slug, `${slug}[bot]`] };
  }

  /** A delivery named the App installation of `repo`: no need to look it up. */
  rememberInstallation(repo: string, installationId: number): void {
    this.installations.set(repo.toLowerCase(), installationId);
  }

  /** The sender's permission on the repository: admin, write, read or none. */
  async permission(repo: string, login: string): Promise<string> {
    const { owner, name } = split(repo);
    try {
      const { data } = await (await this.client(repo)).rest.repos.getCollaboratorPermissionLevel({ owner, repo: name, username: login });
      return data.permission;
    } catch (error) {
      // No such user (or not visible to us): no permission.
      if (statusOf(error) === 404) return 'none';
      throw error;
    }
  }

  async createComment(repo: string, issue: number, body: string): Promise<number> {
    const { owner, name } = split(repo);
    const octokit = await this.client(repo);
    const { data } = await this.content(() => octokit.rest.issues.createComment({ owner, repo: name, issue_number: issue, body }));
    return data.id;
  }

  async updateComment(repo: string, commentId: number, body: string): Promise<void> {
    const { owner, name } = split(repo);
    const octokit = await this.client(repo);
    await this.content(() => octokit.rest.issues.updateComment({ owner, repo: name, comment_id: commentId, body }));
  }

  async labels(repo: string, issue: number): Promise<string[]> {
    const { owner, name } = split(repo);
    const { data } = await (await this.client(repo)).rest.issues.listLabelsOnIssue({ owner, repo: name, issue_number: issue, per_page: 100 });
    return data.map((l) => l.name);
  }

  async addLabel(repo: string, issue: number, label: string): Promise<void> {
    const { owner, name } = split(repo);
    const octokit = await this.client(repo);
    await this.content(() => octokit.rest.issues.addLabels({ owner, repo: name, issue_number: issue, labels: [label] }));
  }

  /** Removes a label; one the issue no longer has is fine. */
  async removeLabel(repo: string, issue: number, label: string): Promise<void> {
    const { owner, name } = split(repo);
    const octokit = await this.client(repo);
    try {
      await this.content(() => octokit.rest.issues.removeLabel({ owner, repo: name, issue_number: issue, name: label }));
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
  }

  async issue(repo: string, issue: number): Promise<RestItem> {
    const { owner, name } = split(repo);
    const { data } = await (await this.client(repo)).rest.issues.get({ owner, repo: name, issue_number: issue });
    return data as RestItem;
  }

  /** Issue events of the repository (newest first) back to `since`. */
  async issueEventsSince(repo: string, since: Date): Promise<RestItem[]> {
    const { owner, name } = split(repo);
    const octokit = await this.client(repo);
    const events: RestItem[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const { data } = await octokit.rest.issues.listEventsForRepo({ owner, repo: name, per_page: 100, page });
      const recent = (data as RestItem[]).filter((e) => new Date(String(e.created_at)) >= since);
      events.push(...recent);
      if (data.length < 100 || recent.length < data.length) break;
    }
    return events;
  }

  /** Issue and pull request comments of the repository created or edited since `since`, oldest first. */
  async commentsSince(repo: string, since: Date): Promise<RestItem[]> {
    const { owner, name } = split(repo);
    const octokit = await this.client(repo);
    const comments: RestItem[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const { data } = await octokit.rest.issues.listCommentsForRepo({ owner, repo: name, since: since.toISOString(), sort: 'created', direction: 'asc', per_page: 100, page });
      comments.push(...(data as RestItem[]));
      if (data.length < 100) break;
    }
    return comments;
  }

  /** The branch pull requests go into unless told otherwise. */
  async defaultBranch(repo: string): Promise<string> {
    const { owner, name } = split(repo);
    const { data } = await (await this.client(repo)).rest.repos.get({ owner, repo: name });
    return data.default_branch;
  }

  /** Opens a pull request from `head` (a branch of the repository itself) into `base`. */
  async createPull(repo: string, pull: NewPull): Promise<OpenedPull> {
    const { owner, name } = split(repo);
    const octokit = await this.client(repo);
    const { data } = await this.content(() => octokit.rest.pulls.create({ owner, repo: name, ...pull }));
    return { number: data.number, url: data.html_url };
  }

  /** The repository's open pull requests, newest first. */
  async openPulls(repo: string): Promise<RestItem[]> {
    const { owner, name } = split(repo);
    const { data } = await (await this.client(repo)).rest.pulls.list({ owner, repo: name, state: 'open', sort: 'created', direction: 'desc', per_page: 100 });
    return data as RestItem[];
  }

  /** A content-creating call: paced, and GitHub's rate-limit answers made RateLimitedError. */
  private async content<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await this.pacer.run(call);
    } catch (error) {
      const waitMs = rateLimitWait(error, this.clock.now());
      if (waitMs === null) throw error;
      this.pacer.block(this.clock.now() + waitMs);
      throw new RateLimitedError(waitMs, `GitHub rate limit: ${(error as Error).message}`);
    }
  }

  private async client(repo: string): Promise<Octokit> {
    if (this.token) return this.token;
    let installationId = this.installations.get(repo.toLowerCase());
    if (installationId === undefined) {
      const { owner, name } = split(repo);
      const { data } = await this.app!.rest.apps.getRepoInstallation({ owner, repo: name });
      installationId = data.id;
      this.rememberInstallation(repo, installationId);
    }
    let octokit = this.byInstallation.get(installationId);
    if (!octokit) {
      // auth-app keeps the installation token and renews it before it expires.
      octokit = new Octokit({ authStrategy: createAppAuth, auth: { ...this.appAuth(), installationId }, baseUrl: this.apiUrl });
      this.byInstallation.set(installationId, octokit);
    }
    return octokit;
  }

  private appAuth(): { appId: string; privateKey: string } {
    // A key from an environment variable often has its line breaks written as \n.
    return { appId: this.auth.appId!, privateKey: this.auth.privateKey!.replace(/\\n/g, '\n') };
  }
}

function split(repo: string): { owner: string; name: string } {
  const [owner, name] = repo.split('/');
  return { owner, name };
}

export function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

/**
 * How long GitHub asked to wait, for a rate-limit answer (429, or 403 with retry-after, an
 * exhausted x-ratelimit-remaining, or a secondary-limit message); null for other errors.
 */
export function rateLimitWait(error: unknown, now: number): number | null {
  const status = statusOf(error);
  if (status !== 403 && status !== 429) return null;
  const headers = ((error as { response?: { headers?: Record<string, string | undefined> } }).response?.headers ?? {}) as Record<string, string | undefined>;
  const retryAfter = Number(headers['retry-after']);
  if (headers['retry-after'] !== undefined && Number.isFinite(retryAfter)) return Math.max(0, retryAfter * 1000);
  const reset = Number(headers['x-ratelimit-reset']);
  if (headers['x-ratelimit-remaining'] === '0' && Number.isFinite(reset)) return Math.max(0, reset * 1000 - now);
  if (status === 429 || /rate limit/i.test((error as Error).message ?? '')) return SECONDARY_LIMIT_WAIT_MS;
  return null;
}
