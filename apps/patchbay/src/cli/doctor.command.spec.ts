import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigSchema } from '@patchbay/config';
import { DoctorCheckV1 } from '@patchbay/contracts';
import { FakeAgentHost } from '../../../../test/fakes/agent-host.fake';
import { ApiClient, ApiError } from './api-client';
import { doctorCommand } from './doctor.command';

/** A server that answers GET /api/doctor with these checks, or fails as given; nothing else. */
class FakeServer extends ApiClient {
  constructor(private readonly answer: { checks: DoctorCheckV1[] } | ApiError) {
    super('http://127.0.0.1:7340');
  }

  override async get<T>(path: string): Promise<T> {
    if (path !== '/api/doctor') throw new Error(`FakeServer: unexpected GET ${path}`);
    if (this.answer instanceof ApiError) throw this.answer;
    return this.answer as T;
  }
}

const ok = (name: string): DoctorCheckV1 => ({ name, outcome: 'ok', detail: 'fine', fix: null });

describe('doctorCommand', () => {
  let home: string;
  let printed: string;
  let out: jest.SpyInstance;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'pb-doctor-'));
    printed = '';
    out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((printed += String(chunk)), true));
  });
  afterEach(() => {
    out.mockRestore();
    rmSync(home, { recursive: true, force: true });
  });
  const loaded = () => ({ config: ConfigSchema.parse({ home }), file: null });
  // Asking a running server must not probe this machine's agents.
  const untouchable = new FakeAgentHost();

  it('prints the running server’s checks and exits 0 when nothing needed is broken', async () => {
    const warn: DoctorCheckV1 = { name: 'agent claude', outcome: 'warn', detail: 'claude is installed but not logged in', fix: 'run `claude` once' };
    expect(await doctorCommand(loaded(), new FakeServer({ checks: [ok('postgresql'), warn] }), untouchable)).toBe(0);
    expect(printed).toMatch(/^✓ server: http:\/\/127\.0\.0\.1:7340 is running; the lines below are what it uses$/m);
    expect(printed).toMatch(/^✓ postgresql: fine$/m);
    expect(printed).toMatch(/^! agent claude: claude is installed but not logged in → run `claude` once$/m);
  });

  it('exits 1 when the server says something needed is broken, and that line says what to do', async () => {
    const broken: DoctorCheckV1 = { name: 'runners', outcome: 'fail', detail: 'no runner connected', fix: 'start one: `patchbay start runner`' };
    expect(await doctorCommand(loaded(), new FakeServer({ checks: [ok('bus'), broken] }), untouchable)).toBe(1);
    expect(printed).toMatch(/^✗ runners: no runner connected → start one: `patchbay start runner`$/m);
  });

  it('exits 1 when the server refuses it, with the fix', async () => {
    const refused = new ApiError(401, '401 Unauthorized: a token is needed (set PATCHBAY_API_TOKEN …)');
    expect(await doctorCommand(loaded(), new FakeServer(refused), untouchable)).toBe(1);
    expect(printed).toMatch(/^✗ server: 401 Unauthorized: .*PATCHBAY_API_TOKEN/m);
  });

  it('checks this machine when nothing answers, and says it did', async () => {
    const nothing = new ApiError(0, 'cannot reach Patchbay');
    const host = new FakeAgentHost({ installed: [process.execPath, 'claude'] });
    await doctorCommand(loaded(), new FakeServer(nothing), host);
    expect(printed).toMatch(/^! server: nothing answers at http:\/\/127\.0\.0\.1:7340; checked this machine instead → start Patchbay/m);
    expect(printed).toMatch(/^! agent claude: claude is installed but not logged in → run `claude` once, or set ANTHROPIC_API_KEY$/m);
    expect(printed).toMatch(/^! default agent: demo → Using the demo agent: claude is installed but not logged in/m);
    expect(printed).toMatch(/^✓ postgresql: embedded \(.*native\/bin\/postgres\)/m);
  });
});
