import { API_TOKEN_ENV, PatchbayConfig } from '@patchbay/config';

/** Where the CLI finds the HTTP API: PATCHBAY_URL, else the configured host and port. */
export function apiBaseUrl(config: PatchbayConfig, env = process.env): string {
  if (env.PATCHBAY_URL) return env.PATCHBAY_URL.replace(/\/+$/, '');
  const host = ['0.0.0.0', '::'].includes(config.http.host) ? '127.0.0.1' : config.http.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.http.port}`;
}

/** The token the CLI sends: PATCHBAY_API_TOKEN, else the first owner token in http.tokens; none on a tokenless setup. */
export function apiToken(config: PatchbayConfig, env = process.env): string | undefined {
  return env[API_TOKEN_ENV] || config.http.tokens.find((t) => t.role === 'owner')?.token;
}

/** The CLI's client for the configured server. */
export function cliApiClient(config: PatchbayConfig, env = process.env): ApiClient {
  return new ApiClient(apiBaseUrl(config, env), apiToken(config, env));
}

const AUTH_FIX = `set ${API_TOKEN_ENV} to one of the server's API tokens (http.tokens), an owner's for pairing and jobs`;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const JSON_BODY = { 'content-type': 'application/json' };

/** Small JSON client for the CLI; errors carry the server's own message. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  async get<T>(path: string): Promise<T> {
    return this.call<T>(path, { method: 'GET' });
  }

  /** GET whose answer counts whatever its status (readiness: 503 has a body too); a refusal still throws. */
  async probe<T>(path: string): Promise<{ ok: boolean; body: T }> {
    const response = await this.fetch(path, { method: 'GET' });
    if (response.status === 401 || response.status === 403) throw await this.failure(response);
    return { ok: response.ok, body: (await response.json()) as T };
  }

  async post<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>(path, { method: 'POST', headers: JSON_BODY, body: JSON.stringify(body) });
  }

  async delete<T>(path: string): Promise<T> {
    // The server takes unsafe requests only as JSON (no HTML form can send that), even bodiless ones.
    return this.call<T>(path, { method: 'DELETE', headers: JSON_BODY });
  }

  /** Opens an SSE stream and yields each event's name (`message` unless named), id (if any) and parsed data. */
  async *events<T>(path: string, lastEventId?: number): AsyncGenerator<{ event: string; id: number | undefined; data: T }> {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (lastEventId !== undefined) headers['last-event-id'] = String(lastEventId);
    const response = await this.fetch(path, { headers });
    if (!response.ok || !response.body) throw await this.failure(response);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let id: number | undefined;
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('id: ')) id = Number(line.slice(4));
          else if (line.startsWith('event: ')) event = line.slice(7);
          else if (line.startsWith('data: ')) data.push(line.slice(6));
        }
        if (data.length > 0) yield { event, id, data: JSON.parse(data.join('\n')) as T };
      }
    }
  }

  private async call<T>(path: string, init: RequestInit): Promise<T> {
    const response = await this.fetch(path, init);
    if (!response.ok) throw await this.failure(response);
    return (await response.json()) as T;
  }

  private async fetch(path: string, init: RequestInit): Promise<Response> {
    try {
      const headers = { ...(init.headers as Record<string, string> | undefined), ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) };
      return await fetch(`${this.baseUrl}${path}`, { ...init, headers });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      throw new ApiError(0, `cannot reach Patchbay at ${this.baseUrl}${cause ? ` (${cause})` : ''}: start it with \`npm start\``);
    }
  }

  private async failure(response: Response): Promise<ApiError> {
    const text = await response.text();
    let message = text;
    try {
      const body = JSON.parse(text) as { message?: unknown };
      if (body.message) message = Array.isArray(body.message) ? body.message.join('; ') : String(body.message);
    } catch {
      // not JSON: keep the text
    }
    const fix = response.status === 401 || response.status === 403 ? ` (${AUTH_FIX})` : '';
    return new ApiError(response.status, `${response.status} ${response.statusText}: ${message}${fix}`);
  }
}
