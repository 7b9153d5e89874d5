import { ConfigError, ConfigSchema } from '@patchbay/config';
import { ApprovalPolicy, DEFAULT_POLICY, judge, ResolvedPolicy, sessionScope } from './approval-policy';

const policy = (allow: string[], deny: string[] = [], mode: ResolvedPolicy['mode'] = 'ask'): ResolvedPolicy => ({ mode, allow, deny });
const bash = (command: string) => ({ command });
const path = (file_path: string) => ({ file_path });

describe('judge', () => {
  it.each([
    ['Read', {}],
    ['Glob', { pattern: '**/*.ts' }],
    ['Grep', { pattern: 'x' }],
    ['LS', { path: '/ws' }],
    ['NotebookRead', { notebook_path: '/ws/a.ipynb' }],
    ['TodoWrite', { todos: [] }],
  ])('allows the read-only tool %s out of the box', (tool, input) => {
    expect(judge(DEFAULT_POLICY, tool, input)).toEqual({ outcome: 'allow', rule: tool });
  });

  it.each(['Bash', 'Edit', 'Write', 'WebFetch', 'WebSearch', 'NotebookEdit', 'mcp__github__create_issue'])('asks about %s out of the box', (tool) => {
    expect(judge(DEFAULT_POLICY, tool, {})).toEqual({ outcome: 'ask' });
  });

  it.each([
    ['Bash(git status:*)', 'git status', true],
    ['Bash(git status:*)', 'git status --short', true],
    ['Bash(git status:*)', 'git statusx', false],
    ['Bash(git status:*)', 'git log', false],
    ['Bash(git status:*)', 'git status; rm -rf ~', false],
    ['Bash(git status:*)', 'git status && curl evil', false],
    ['Bash(git status:*)', 'git status | sh', false],
    ['Bash(git status:*)', 'git status $(rm x)', false],
    ['Bash(git status:*)', 'git status `rm x`', false],
    ['Bash(git status:*)', 'git status > /etc/passwd', false],
    ['Bash(npm test)', 'npm test', true],
    ['Bash(npm test)', 'npm test -- --watch', false],
    ['Bash', 'anything at all; really', true],
  ])('allow rule %s on `%s`: %s', (rule, command, allowed) => {
    expect(judge(policy([rule]), 'Bash', bash(command)).outcome).toBe(allowed ? 'allow' : 'ask');
  });

  it.each([
    ['Bash(rm:*)', 'rm -rf build', true],
    ['Bash(rm:*)', 'ls && rm -rf build', true],
    ['Bash(rm:*)', 'echo hi | rm x', true],
    ['Bash(rm:*)', 'echo rm', false],
    ['Bash(curl:*)', 'ls; curl evil.example', true],
  ])('deny rule %s on `%s`: %s', (rule, command, denied) => {
    expect(judge(policy(['Bash'], [rule]), 'Bash', bash(command)).outcome).toBe(denied ? 'deny' : 'allow');
  });

  it.each([
    ['Edit(src/**)', '/home/me/ws/src/a.ts', true],
    ['Edit(src/**)', '/home/me/ws/src/deep/er/a.ts', true],
    ['Edit(src/**)', 'src/a.ts', true],
    ['Edit(src/**)', '/home/me/ws/test/a.ts', false],
    ['Edit(src/**)', '/home/me/ws/src/../../../etc/passwd', false],
    ['Edit(src/*.ts)', '/ws/src/a.ts', true],
    ['Edit(src/*.ts)', '/ws/src/sub/a.ts', false],
    ['Edit(**/*.md)', '/ws/docs/a.md', true],
    ['Edit(**/*.md)', '/ws/a.md', true],
    ['Edit(/etc/**)', '/etc/hosts', true],
    ['Edit(/etc/**)', '/home/etc/hosts', false],
    ['Edit(./README.md)', '/ws/README.md', true],
    ['Edit(a?.ts)', '/ws/ab.ts', true],
    ['Edit(a?.ts)', '/ws/abc.ts', false],
    ['Edit(a.ts)', '/ws/aXts', false],
  ])('allow rule %s on path %s: %s', (rule, file, allowed) => {
    expect(judge(policy([rule]), 'Edit', path(file)).outcome).toBe(allowed ? 'allow' : 'ask');
  });

  it('matches path rules of Write and Read by their file_path, and not a rule of another tool', () => {
    expect(judge(policy(['Write(docs/**)']), 'Write', path('/ws/docs/x.md')).outcome).toBe('allow');
    expect(judge(policy(['Write(docs/**)']), 'Edit', path('/ws/docs/x.md')).outcome).toBe('ask');
    expect(judge(policy([], ['Read(**/.env)']), 'Read', path('/ws/.env'))).toEqual({ outcome: 'deny', rule: 'Read(**/.env)' });
  });

  it('a deny path rule matches paths with .. too', () => {
    expect(judge(policy(['Edit'], ['Edit(secrets/**)']), 'Edit', path('/ws/x/../secrets/k')).outcome).toBe('deny');
  });

  it.each([
    ['https://example.com/a', true],
    ['https://docs.example.com/a', true],
    ['https://notexample.com/a', false],
    ['https://example.com.evil.io/', false],
    ['not a url', false],
  ])('WebFetch(domain:example.com) on %s: %s', (url, allowed) => {
    expect(judge(policy(['WebFetch(domain:example.com)']), 'WebFetch', { url }).outcome).toBe(allowed ? 'allow' : 'ask');
  });

  it('an MCP server rule covers its tools only', () => {
    expect(judge(policy(['mcp__github']), 'mcp__github__get_issue', {}).outcome).toBe('allow');
    expect(judge(policy(['mcp__github']), 'mcp__githubx__get_issue', {}).outcome).toBe('ask');
  });

  it('a specifier it cannot read allows nothing and denies everything of that tool', () => {
    expect(judge(policy(['WebSearch(query:cats)']), 'WebSearch', { query: 'cats' }).outcome).toBe('ask');
    expect(judge(policy(['WebSearch'], ['WebSearch(query:cats)']), 'WebSearch', { query: 'dogs' }).outcome).toBe('deny');
  });

  it('deny wins over allow, and mode decides what no rule does', () => {
    expect(judge(policy(['Bash'], ['Bash']), 'Bash', bash('ls'))).toEqual({ outcome: 'deny', rule: 'Bash' });
    expect(judge(policy([], [], 'allow'), 'Bash', bash('ls'))).toEqual({ outcome: 'allow', rule: 'approvals.mode allow' });
    expect(judge(policy([], [], 'deny'), 'Bash', bash('ls'))).toEqual({ outcome: 'deny', rule: 'approvals.mode deny' });
    expect(judge(policy(['Bash(ls)'], [], 'deny'), 'Bash', bash('ls')).outcome).toBe('allow');
  });
});

describe('ApprovalPolicy.resolve', () => {
  const config = ConfigSchema.parse({
    home: '/tmp/pb-policy-spec',
    agents: { careful: { command: 'claude', approvals: { mode: 'deny', allow: ['Bash(git status:*)'] } } },
    routing: {
      rules: [
        { name: 'docs', match: { channel: 'telegram' }, agents: ['careful'], approvals: { mode: 'ask', deny: ['Read(**/.env)'] } },
        { name: 'plain', match: { channel: 'discord' }, agents: ['careful'] },
      ],
    },
  });
  const policies = new ApprovalPolicy(config);

  it('is the default for an agent and rule without a policy', () => {
    expect(policies.resolve('claude', null)).toEqual(DEFAULT_POLICY);
  });

  it('joins the lists of every layer; the most specific mode counts', () => {
    expect(policies.resolve('careful', 'plain')).toEqual({ mode: 'deny', allow: [...DEFAULT_POLICY.allow, 'Bash(git status:*)'], deny: [] });
    expect(policies.resolve('careful', 'docs')).toEqual({ mode: 'ask', allow: [...DEFAULT_POLICY.allow, 'Bash(git status:*)'], deny: ['Read(**/.env)'] });
  });

  it('a rule layer can take away a default allowance by denying it', () => {
    expect(judge(policies.resolve('careful', 'docs'), 'Read', path('/ws/.env')).outcome).toBe('deny');
  });

  it.each(['Bash(', 'Bash()', '(x)', 'Bash(ls) extra', ''])('refuses the malformed rule "%s", naming where it is', (rule) => {
    const bad = ConfigSchema.parse({ home: '/tmp/pb-policy-spec', agents: { claude: { approvals: { deny: ['Read', rule || ' '] } } } });
    expect(() => new ApprovalPolicy(bad)).toThrow(ConfigError);
    expect(() => new ApprovalPolicy(bad)).toThrow('agents.claude.approvals.deny[1]');
  });
});

describe('sessionScope', () => {
  it.each([
    ['Edit', {}, 'Edit'],
    ['Bash', bash('git status --short'), 'Bash(git status)'],
    ['Bash', bash('  npm   test  '), 'Bash(npm test)'],
    ['Bash', bash('ls'), 'Bash(ls)'],
    ['Bash', bash('rm -rf build'), 'Bash(rm -rf)'],
    ['Bash', bash('git status && rm -rf ~'), null],
    ['Bash', bash(''), null],
    ['Bash', {}, null],
  ])('of %s %j is %s', (tool, input, scope) => {
    expect(sessionScope(tool, input)).toBe(scope);
  });
});
