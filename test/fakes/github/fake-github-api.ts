import { execFileSync } from 'node:child_process';
import { createPublicKey, KeyObject, randomBytes, verify } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback, readBody } from '../http';

/**
 * A strict local fake of the parts of GitHub's REST API (https://docs.github.com/rest) that
 * Patchbay uses, for the real Octokit client (`new Octokit({ baseUrl })`; our env name:
 * GITHUB_API_URL).
 *
 * Wire protocol as GitHub's: JSON bodies, `Authorization: token|Bearer <credential>`,
 * errors `{"message", "documentation_url"}` with the HTTP status, `errors` on a 422.
 *   - 401 "Bad credentials" for a missing, unknown or expired credential, and for an app JWT
 *     that is not RS256-signed by the configured App's key, names another App, or is expired.
 *   - 404 "Not Found" for unknown repositories, issues, comments, and for a repository the
 *     credential cannot see (an installation token of another installation).
 *   - 422 "Validation Failed" for a comment body over 65536 characters or an empty one;
 *     for a pull request whose head or base branch does not exist, whose head already has
 *     an open pull request into that base, or (git-backed) whose head has no commits over
 *     its base, with GitHub's `errors` entries.
 *   - Branches: a repository backed by a bare git repository on disk (`addRepo(…, { gitDir
 *     })`) has exactly the branches that repository has, its HEAD being the default branch;
 *     otherwise only its default branch (`main` unless told).
 *   - 403 secondary rate limit, with `retry-after` (seconds), when a credential makes more
 *     than `contentPerMinute` content-creating requests (POST, PATCH, PUT, DELETE) in any
 *     60 s (refused ones do not count; creating installation tokens does not count).
 *   - Any other route: 404 "Not Found", recorded and listed by `unexpected()`.
 *
 * Routes: GET /user; GET /repos/{o}/{r}; GET /app, GET /repos/{o}/{r}/installation, POST
 * /app/installations/{id}/access_tokens (app JWT); GET
 * /repos/{o}/{r}/collaborators/{login}/permission; GET /repos/{o}/{r}/issues/{n}; POST
 * /repos/{o}/{r}/issues/{n}/comments; PATCH /repos/{o}/{r}/issues/comments/{id}; GET|POST
 * /repos/{o}/{r}/issues/{n}/labels; DELETE /repos/{o}/{r}/issues/{n}/labels/{name};
 * GET /repos/{o}/{r}/issues/events, /repos/{o}/{r}/issues/comments (since), /repos/{o}/{r}/pulls;
 * POST /repos/{o}/{r}/pulls.
 *
 * Test side: `addRepo`, `addIssue`, `addPull`, `setPermission`, `userComments`,
 * `userLabels`, `comments()`, `labels()`, `pulls`, `calls`, `rateLimitNext()`, `unexpected()`,
 * `peakContentRate()`.
 */

export const FAKE_GITHUB_TOKEN = 'ghp_FakeTokenForPatchbayTests0000000000';
const DOCS = 'https://docs.github.com/rest';
const MAX_BODY = 65_536;
const CONTENT_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

export interface FakeUser {
  login: string;
  id: number;
  type: 'User' | 'Bot';
}

export interface FakeComment {
  id: number;
  repo: string;
  issue: number;
  user: FakeUser;
  body: string;
  /** Earlier bodies, oldest first, one per edit. */
  history: string[];
  created_at: string;
  updated_at: string;
}

export interface FakeIssue {
  id: number;
  number: number;
  title: string;
  body: string;
  user: FakeUser;
  labels: string[];
  created_at: string;
  pull?: { head: string; base: string; sha: string };
}

export interface RecordedCall {
  method: string;
  path: string;
  /** The route it matched, e.g. `POST /repos/{o}/{r}/issues/{n}/comments`; null when none. */
  route: string | null;
  status: number;
  body: unknown;
  at: number;
}

interface Repo {
  fullName: string;
  id: number;
  installationId: number;
  defaultBranch: string;
  /** A bare git repository whose branches are this repository's. */
  gitDir?: string;
  issues: Map<number, FakeIssue>;
  permissions: Map<string, string>;
  events: Array<Record<string, unknown>>;
}

export interface FakeGitHubOptions {
  /** The token Patchbay uses, and the user it belongs to. */
  token?: string;
  tokenUser?: FakeUser;
  /** A GitHub App: its id, slug and public key (PEM) for verifying its JWTs. */
  app?: { id: number; slug: string; publicKey: string };
  contentPerMinute?: number;
  /** The clock rate limits are counted on (ms); real time by default. */
  now?: () => number;
}

type Handler = (ctx: Ctx) => [number, unknown] | [number, unknown, Record<string, string>];
interface Ctx {
  params: string[];
  body: any;
  query: URLSearchParams;
  caller: Caller;
}
type Caller = { kind: 'token' | 'installation'; key: string; user: FakeUser; installationId?: number } | { kind: 'app'; key: string };

export class FakeGitHubApi {
  readonly calls: RecordedCall[] = [];
  readonly pulls: Array<{ repo: string; number: number; title: string; head: string; base: string; body: string }> = [];
  private readonly repos = new Map<string, Repo>();
  private readonly commentsById = new Map<number, FakeComment>();
  private readonly installationTokens = new Map<string, { installationId: number; expiresAt: number }>();
  private readonly contentTimes = new Map<string, number[]>();
  private readonly token: string;
  private readonly tokenUser: FakeUser;
  private readonly appKey?: KeyObject;
  private readonly routes: Array<{ method: string; pattern: RegExp; route: string; handler: Handler; auth: 'user' | 'app' }> = [];
  private server?: Server;
  private nextId = 1000;
  private forcedLimit: number | null = null;

  constructor(private readonly options: FakeGitHubOptions = {}) {
    this.token = options.token ?? FAKE_GITHUB_TOKEN;
    this.tokenUser = options.tokenUser ?? { login: 'patchbay-bot', id: 4242, type: 'User' };
    if (options.app) this.appKey = createPublicKey(options.app.publicKey);
    this.defineRoutes();
  }

  async start(): Promise<string> {
    const { server, url } = await listenOnLoopback((req, res) => void this.handle(req, res));
    this.server = server;
    return url;
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }

  /** The login an App's comments carry. */
  get botUser(): FakeUser {
    return this.options.app ? { login: `${this.options.app.slug}[bot]`, id: 9_000_000 + this.options.app.id, type: 'Bot' } : this.tokenUser;
  }

  /** A repository; with `gitDir` its branches are those of that bare git repository (a test pushes to it). */
  addRepo(fullName: string, installationId = 1, branches: { gitDir?: string; defaultBranch?: string } = {}): void {
    const { gitDir } = branches;
    const defaultBranch = branches.defaultBranch ?? (gitDir ? git(gitDir, 'symbolic-ref', '--short', 'HEAD') : 'main');
    this.repos.set(fullName.toLowerCase(), { fullName, id: this.nextId++, installationId, defaultBranch, gitDir, issues: new Map(), permissions: new Map(), events: [] });
  }

  /** An issue (or, with `pull`, a pull request) as GitHub has it, e.g. from a webhook example. */
  addIssue(repo: string, issue: Omit<FakeIssue, 'labels' | 'created_at' | 'id'> & { id?: number; labels?: string[]; created_at?: string }): FakeIssue {
    const stored: FakeIssue = { id: this.nextId++, labels: [], created_at: new Date().toISOString(), ...issue };
    this.repo(repo).issues.set(issue.number, stored);
    return stored;
  }

  setPermission(repo: string, login: string, permission: 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none'): void {
    this.repo(repo).permissions.set(login.toLowerCase(), permission);
  }

  /** Someone comments on an issue (as polling would find it). */
  userComments(repo: string, issue: number, user: FakeUser, body: string): FakeComment {
    this.issueOf(this.repo(repo), issue);
    return this.storeComment(repo, issue, user, body);
  }

  /** Someone adds a label (it shows in the repository's issue events). */
  userLabels(repo: string, issue: number, actor: FakeUser, label: string): void {
    const r = this.repo(repo);
    const stored = this.issueOf(r, issue);
    if (!stored.labels.includes(label)) stored.labels.push(label);
    r.events.unshift({
      id: this.nextId++,
      event: 'labeled',
      actor,
      label: { name: label, color: 'ededed' },
      issue: this.issueJson(r, stored),
      created_at: new Date().toISOString(),
    });
  }

  comments(repo: string, issue: number): FakeComment[] {
    return [...this.commentsById.values()].filter((c) => c.repo.toLowerCase() === repo.toLowerCase() && c.issue === issue);
  }

  labels(repo: string, issue: number): string[] {
    return [...this.issueOf(this.repo(repo), issue).labels];
  }

  /** The next content-creating request gets a 403 secondary rate limit with this retry-after. */
  rateLimitNext(retryAfterSeconds: number): void {
    this.forcedLimit = retryAfterSeconds;
  }

  /** Calls to routes the fake does not know, and server errors. */
  unexpected(): RecordedCall[] {
    return this.calls.filter((c) => c.route === null || c.status >= 500);
  }

  /** The most content-creating requests answered with success in any 60 s. */
  peakContentRate(): number {
    const times = this.calls.filter((c) => CONTENT_METHODS.has(c.method) && c.status < 300 && !c.path.includes('/access_tokens')).map((c) => c.at);
    return times.reduce((peak, t, i) => Math.max(peak, times.slice(i).filter((u) => u < t + 60_000).length), 0);
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private repo(fullName: string): Repo {
    const repo = this.repos.get(fullName.toLowerCase());
    if (!repo) throw new Error(`the fake has no repository ${fullName}`);
    return repo;
  }

  private issueOf(repo: Repo, number: number): FakeIssue {
    const issue = repo.issues.get(number);
    if (!issue) throw new Error(`the fake has no issue ${repo.fullName}#${number}`);
    return issue;
  }

  private storeComment(repo: string, issue: number, user: FakeUser, body: string): FakeComment {
    const now = new Date().toISOString();
    const comment: FakeComment = { id: this.nextId++, repo, issue, user, body, history: [], created_at: now, updated_at: now };
    this.commentsById.set(comment.id, comment);
    return comment;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const raw = (await readBody(req)).toString('utf8');
    const call: RecordedCall = { method, path: url.pathname, route: null, status: 0, body: undefined, at: this.now() };
    this.calls.push(call);
    let answer: [number, unknown, Record<string, string>?];
    try {
      call.body = raw ? JSON.parse(raw) : undefined;
      answer = this.dispatch(method, url, call, req.headers.authorization);
    } catch (error) {
      answer = error instanceof HttpError ? [error.status, { message: error.message, documentation_url: DOCS, ...error.extra }, error.headers] : [500, { message: String(error) }];
    }
    call.status = answer[0];
    res.writeHead(answer[0], { 'content-type': 'application/json; charset=utf-8', 'x-github-media-type': 'github.v3', ...(answer[2] ?? {}) });
    res.end(answer[1] === undefined ? '' : JSON.stringify(answer[1]));
  }

  private dispatch(method: string, url: URL, call: RecordedCall, authorization: string | undefined): [number, unknown, Record<string, string>?] {
    for (const route of this.routes) {
      const match = route.method === method ? route.pattern.exec(url.pathname) : null;
      if (!match) continue;
      call.route = `${route.method} ${route.route}`;
      const caller = this.authenticate(authorization, route.auth);
      const counted = CONTENT_METHODS.has(method) && route.auth === 'user';
      if (counted) this.checkContentRate(caller.key);
      const result = route.handler({ params: match.slice(1).map(decodeURIComponent), body: call.body ?? {}, query: url.searchParams, caller });
      if (counted && result[0] < 300) this.contentTimes.get(caller.key)!.push(this.now());
      return result;
    }
    throw new HttpError(404, 'Not Found');
  }

  private authenticate(header: string | undefined, needs: 'user' | 'app'): Caller {
    const credential = /^(?:token|bearer)\s+(\S+)$/i.exec(header ?? '')?.[1];
    if (!credential) throw new HttpError(401, needs === 'app' ? 'A JSON web token could not be decoded' : 'Requires authentication');
    if (needs === 'app') {
      if (!this.validJwt(credential)) throw new HttpError(401, 'Bad credentials');
      return { kind: 'app', key: 'app' };
    }
    if (credential === this.token && !this.options.app) return { kind: 'token', key: credential, user: this.tokenUser };
    const installation = this.installationTokens.get(credential);
    if (installation && installation.expiresAt > Date.now()) return { kind: 'installation', key: credential, user: this.botUser, installationId: installation.installationId };
    throw new HttpError(401, 'Bad credentials');
  }

  /** RS256 JWT of the configured App: header.payload.signature, iss = app id, not expired. */
  private validJwt(jwt: string): boolean {
    if (!this.appKey || !this.options.app) return false;
    const [header, payload, signature] = jwt.split('.');
    if (!header || !payload || !signature) return false;
    try {
      if (JSON.parse(Buffer.from(header, 'base64url').toString()).alg !== 'RS256') return false;
      if (!verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), this.appKey, Buffer.from(signature, 'base64url'))) return false;
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      const now = Date.now() / 1000;
      return String(claims.iss) === String(this.options.app.id) && claims.exp > now && claims.iat <= now + 60 && claims.exp - claims.iat <= 600;
    } catch {
      return false;
    }
  }

  private checkContentRate(key: string): void {
    const now = this.now();
    const times = (this.contentTimes.get(key) ?? []).filter((t) => t > now - 60_000);
    this.contentTimes.set(key, times);
    const forced = this.forcedLimit;
    this.forcedLimit = null;
    if (forced !== null || times.length >= (this.options.contentPerMinute ?? 80)) {
      const retryAfter = forced ?? Math.max(1, Math.ceil((times[0] + 60_000 - now) / 1000));
      throw new HttpError(
        403,
        'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.',
        {},
        { 'retry-after': String(retryAfter) },
      );
    }
  }

  /** The repository, when the caller may see it. */
  private visibleRepo(owner: string, name: string, caller: Caller): Repo {
    const repo = this.repos.get(`${owner}/${name}`.toLowerCase());
    if (!repo || (caller.kind === 'installation' && caller.installationId !== repo.installationId)) throw new HttpError(404, 'Not Found');
    return repo;
  }

  /** The branch's commit; null when the repository has no such branch. */
  private branchSha(repo: Repo, branch: string): string | null {
    if (!repo.gitDir) return branch === repo.defaultBranch ? '0'.repeat(40) : null;
    try {
      return git(repo.gitDir, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`);
    } catch {
      return null;
    }
  }

  /** POST /pulls the way GitHub validates it; the head's commit when it is fine. */
  private checkPull(repo: Repo, head: string, base: string): string {
    const invalid = (field: string) => new HttpError(422, 'Validation Failed', { errors: [{ resource: 'PullRequest', field, code: 'invalid' }] });
    const custom = (message: string) => new HttpError(422, 'Validation Failed', { errors: [{ resource: 'PullRequest', code: 'custom', message }] });
    const owner = repo.fullName.split('/')[0];
    // `owner:branch` names a fork's branch; the fake has no forks.
    const [headOwner, branch] = head.includes(':') ? head.split(':', 2) : [owner, head];
    const headSha = headOwner.toLowerCase() === owner.toLowerCase() ? this.branchSha(repo, branch) : null;
    if (this.branchSha(repo, base) === null) throw invalid('base');
    if (headSha === null) throw invalid('head');
    if ([...repo.issues.values()].some((i) => i.pull?.head === branch && i.pull.base === base)) throw custom(`A pull request already exists for ${owner}:${branch}.`);
    if (repo.gitDir && git(repo.gitDir, 'rev-list', '--count', `${base}..${branch}`) === '0') throw custom(`No commits between ${base} and ${branch}`);
    return headSha;
  }

  private issueJson(repo: Repo, issue: FakeIssue): Record<string, unknown> {
    const html = `https://github.com/${repo.fullName}/${issue.pull ? 'pull' : 'issues'}/${issue.number}`;
    return {
      id: issue.id,
      number: issue.number,
      title: issue.title,
      body: issue.body,
      user: issue.user,
      labels: issue.labels.map((name) => ({ name, color: 'ededed' })),
      state: 'open',
      html_url: html,
      url: `https://api.github.com/repos/${repo.fullName}/issues/${issue.number}`,
      created_at: issue.created_at,
      updated_at: issue.created_at,
      ...(issue.pull ? { pull_request: { url: html }, draft: false, head: { ref: issue.pull.head, sha: issue.pull.sha }, base: { ref: issue.pull.base } } : {}),
    };
  }

  private commentJson(comment: FakeComment): Record<string, unknown> {
    return {
      id: comment.id,
      body: comment.body,
      user: comment.user,
      created_at: comment.created_at,
      updated_at: comment.updated_at,
      html_url: `https://github.com/${comment.repo}/issues/${comment.issue}#issuecomment-${comment.id}`,
      issue_url: `https://api.github.com/repos/${comment.repo}/issues/${comment.issue}`,
    };
  }

  private checkBody(body: unknown): string {
    if (typeof body !== 'string' || body.length === 0 || body.length > MAX_BODY) {
      const message = typeof body === 'string' && body.length > MAX_BODY ? `body is too long (maximum is ${MAX_BODY} characters)` : 'body cannot be blank';
      throw new HttpError(422, 'Validation Failed', { errors: [{ resource: 'IssueComment', code: 'custom', field: 'body', message }] });
    }
    return body;
  }

  private defineRoutes(): void {
    const route = (method: string, path: string, handler: Handler, auth: 'user' | 'app' = 'user') => {
      const pattern = new RegExp(`^${path.replace(/\{[^}]+\}/g, '([^/]+)')}$`);
      this.routes.push({ method, pattern, route: path, handler, auth });
    };
    const userOf = (caller: Caller) => (caller.kind === 'app' ? this.botUser : caller.user);

    route('GET', '/user', ({ caller }) => {
      if (caller.kind !== 'token') throw new HttpError(403, 'Resource not accessible by integration');
      return [200, caller.user];
    });
    route('GET', '/repos/{o}/{r}', ({ params: [o, r], caller }) => {
      const repo = this.visibleRepo(o, r, caller);
      const [owner, name] = repo.fullName.split('/');
      return [
        200,
        {
          id: repo.id,
          name,
          full_name: repo.fullName,
          owner: { login: owner },
          private: false,
          html_url: `https://github.com/${repo.fullName}`,
          default_branch: repo.defaultBranch,
        },
      ];
    });
    route('GET', '/app', () => [200, { id: this.options.app!.id, slug: this.options.app!.slug, name: this.options.app!.slug }], 'app');
    route('GET', '/repos/{o}/{r}/installation', ({ params: [o, r] }) => [200, { id: this.visibleRepo(o, r, { kind: 'app', key: 'app' }).installationId }], 'app');
    route(
      'POST',
      '/app/installations/{id}/access_tokens',
      ({ params: [id] }) => {
        if (![...this.repos.values()].some((r) => String(r.installationId) === id)) throw new HttpError(404, 'Not Found');
        const token = `ghs_${randomBytes(18).toString('hex')}`;
        const expiresAt = Date.now() + 3_600_000;
        this.installationTokens.set(token, { installationId: Number(id), expiresAt });
        return [201, { token, expires_at: new Date(expiresAt).toISOString(), permissions: { issues: 'write', pull_requests: 'write' }, repository_selection: 'all' }];
      },
      'app',
    );
    route('GET', '/repos/{o}/{r}/collaborators/{login}/permission', ({ params: [o, r, login], caller }) => {
      const permission = this.visibleRepo(o, r, caller).permissions.get(login.toLowerCase()) ?? 'read';
      // `permission` is the legacy field: maintain shows as write, triage as read.
      const legacy = permission === 'maintain' ? 'write' : permission === 'triage' ? 'read' : permission;
      return [200, { permission: legacy, role_name: permission, user: { login, id: 0, type: 'User' } }];
    });
    route('GET', '/repos/{o}/{r}/issues/events', ({ params: [o, r], query, caller }) => [200, page(this.visibleRepo(o, r, caller).events, query)]);
    route('GET', '/repos/{o}/{r}/issues/comments', ({ params: [o, r], query, caller }) => {
      const repo = this.visibleRepo(o, r, caller);
      const since = query.get('since') ? Date.parse(query.get('since')!) : 0;
      const all = [...this.commentsById.values()].filter((c) => c.repo.toLowerCase() === repo.fullName.toLowerCase() && Date.parse(c.updated_at) >= since);
      return [
        200,
        page(
          all.map((c) => this.commentJson(c)),
          query,
        ),
      ];
    });
    route('PATCH', '/repos/{o}/{r}/issues/comments/{id}', ({ params: [o, r, id], body, caller }) => {
      const repo = this.visibleRepo(o, r, caller);
      const comment = this.commentsById.get(Number(id));
      if (!comment || comment.repo.toLowerCase() !== repo.fullName.toLowerCase()) throw new HttpError(404, 'Not Found');
      if (comment.user.login !== userOf(caller).login) throw new HttpError(403, 'You must have push access to edit this comment');
      const text = this.checkBody(body.body);
      comment.history.push(comment.body);
      comment.body = text;
      comment.updated_at = new Date().toISOString();
      return [200, this.commentJson(comment)];
    });
    route('GET', '/repos/{o}/{r}/issues/{n}', ({ params: [o, r, n], caller }) => {
      const repo = this.visibleRepo(o, r, caller);
      const issue = repo.issues.get(Number(n));
      if (!issue) throw new HttpError(404, 'Not Found');
      return [200, this.issueJson(repo, issue)];
    });
    route('POST', '/repos/{o}/{r}/issues/{n}/comments', ({ params: [o, r, n], body, caller }) => {
      const repo = this.visibleRepo(o, r, caller);
      if (!repo.issues.has(Number(n))) throw new HttpError(404, 'Not Found');
      return [201, this.commentJson(this.storeComment(repo.fullName, Number(n), userOf(caller), this.checkBody(body.body)))];
    });
    const labelsOf = (o: string, r: string, n: string, caller: Caller) => {
      const issue = this.visibleRepo(o, r, caller).issues.get(Number(n));
      if (!issue) throw new HttpError(404, 'Not Found');
      return issue;
    };
    const labelJson = (issue: FakeIssue) => issue.labels.map((name) => ({ name, color: 'ededed', default: false }));
    route('GET', '/repos/{o}/{r}/issues/{n}/labels', ({ params: [o, r, n], caller }) => [200, labelJson(labelsOf(o, r, n, caller))]);
    route('POST', '/repos/{o}/{r}/issues/{n}/labels', ({ params: [o, r, n], body, caller }) => {
      const issue = labelsOf(o, r, n, caller);
      if (!Array.isArray(body.labels) || body.labels.some((l: unknown) => typeof l !== 'string' || !l)) {
        throw new HttpError(422, "Invalid request.\n\nFor 'links/0/schema', nil is not an array.");
      }
      for (const label of body.labels as string[]) if (!issue.labels.includes(label)) issue.labels.push(label);
      return [200, labelJson(issue)];
    });
    route('DELETE', '/repos/{o}/{r}/issues/{n}/labels/{name}', ({ params: [o, r, n, name], caller }) => {
      const issue = labelsOf(o, r, n, caller);
      if (!issue.labels.includes(name)) throw new HttpError(404, 'Label does not exist');
      issue.labels = issue.labels.filter((l) => l !== name);
      return [200, labelJson(issue)];
    });
    route('GET', '/repos/{o}/{r}/pulls', ({ params: [o, r], query, caller }) => {
      const repo = this.visibleRepo(o, r, caller);
      const open = [...repo.issues.values()].filter((i) => i.pull).sort((a, b) => b.created_at.localeCompare(a.created_at));
      return [
        200,
        page(
          open.map((i) => this.issueJson(repo, i)),
          query,
        ),
      ];
    });
    route('POST', '/repos/{o}/{r}/pulls', ({ params: [o, r], body, caller }) => {
      const repo = this.visibleRepo(o, r, caller);
      const missing = ['title', 'head', 'base'].find((field) => typeof body[field] !== 'string' || !body[field]);
      if (missing) throw new HttpError(422, 'Validation Failed', { errors: [{ resource: 'PullRequest', field: missing, code: 'missing_field' }] });
      const sha = this.checkPull(repo, body.head, body.base);
      const head = body.head.includes(':') ? body.head.split(':', 2)[1] : body.head;
      const number = Math.max(0, ...repo.issues.keys()) + 1;
      const pull = { repo: repo.fullName, number, title: body.title, head, base: body.base, body: String(body.body ?? '') };
      this.pulls.push(pull);
      this.addIssue(repo.fullName, { number, title: body.title, body: pull.body, user: userOf(caller), pull: { head, base: body.base, sha } });
      return [201, this.issueJson(repo, repo.issues.get(number)!)];
    });
  }
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function git(gitDir: string, ...args: string[]): string {
  return execFileSync('git', ['--git-dir', gitDir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** GitHub's page and per_page (30 by default, at most 100). */
function page<T>(items: T[], query: URLSearchParams): T[] {
  const perPage = Math.min(100, Math.max(1, Number(query.get('per_page') ?? 30)));
  const pageNo = Math.max(1, Number(query.get('page') ?? 1));
  return items.slice((pageNo - 1) * perPage, pageNo * perPage);
}
