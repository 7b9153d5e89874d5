import { FAKE_API_KEY, FAKE_MODEL, FakeAnthropicApi, toolResultText } from './fake-anthropic-api';

/** The fake itself, over real HTTP: strict like the real API, and the SSE it streams. */
describe('FakeAnthropicApi', () => {
  let fake: FakeAnthropicApi;
  let baseUrl: string;

  beforeEach(async () => {
    fake = new FakeAnthropicApi();
    baseUrl = await fake.start();
  });

  afterEach(() => fake.stop());

  const headers = { 'x-api-key': FAKE_API_KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' };
  const prompt = { role: 'user', content: [{ type: 'text', text: 'say hello' }] };
  const tools = [{ name: 'Bash', description: 'run', input_schema: { type: 'object', properties: {} } }];
  const body = (extra: Record<string, unknown> = {}) => JSON.stringify({ model: FAKE_MODEL, max_tokens: 1024, messages: [prompt], tools, ...extra });

  async function post(path: string, init: { headers?: Record<string, string>; body?: string } = {}) {
    const response = await fetch(`${baseUrl}${path}`, { method: 'POST', headers: init.headers ?? headers, body: init.body ?? body() });
    return { status: response.status, headers: response.headers, text: await response.text() };
  }

  /** Splits an SSE body into [event, data] pairs. */
  function sse(text: string): [string, any][] {
    return text
      .split('\n\n')
      .filter(Boolean)
      .map((block) => {
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (!event || !data) throw new Error(`bad SSE block: ${block}`);
        return [event, JSON.parse(data)];
      });
  }

  it.each([
    ['no x-api-key', { 'anthropic-version': '2023-06-01' }, 401, 'authentication_error', 'x-api-key header is required'],
    ['a wrong x-api-key', { ...headers, 'x-api-key': 'sk-ant-nope' }, 401, 'authentication_error', 'invalid x-api-key'],
    ['no anthropic-version', { 'x-api-key': FAKE_API_KEY }, 400, 'invalid_request_error', 'anthropic-version: header is required'],
  ])('refuses a request with %s', async (_what, requestHeaders, status, type, message) => {
    const response = await post('/v1/messages', { headers: requestHeaders });
    expect(response.status).toBe(status);
    expect(JSON.parse(response.text)).toEqual({ type: 'error', error: { type, message }, request_id: 'req_fake_0001' });
    expect(fake.unexpected()).toEqual([expect.objectContaining({ kind: 'rejected', status, error: message })]);
  });

  it.each([
    ['model', 'model: Field required'],
    ['max_tokens', 'max_tokens: Field required'],
    ['messages', 'messages: Field required'],
  ])('refuses a body without %s, naming the field', async (field, message) => {
    const incomplete = JSON.parse(body());
    delete incomplete[field];
    const response = await post('/v1/messages', { body: JSON.stringify(incomplete) });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.text).error).toEqual({ type: 'invalid_request_error', message });
  });

  it('refuses bodies that are not JSON, and unknown models like the real API', async () => {
    expect((await post('/v1/messages', { body: 'not json' })).status).toBe(400);
    const unknownModel = await post('/v1/messages', { body: body({ model: 'claude-nope' }) });
    expect(unknownModel.status).toBe(404);
    expect(JSON.parse(unknownModel.text).error).toEqual({ type: 'not_found_error', message: 'model: claude-nope' });
    expect(fake.unexpected()).toHaveLength(2);
  });

  it('answers unknown paths and methods with the error shape, recorded as unexpected', async () => {
    const notFound = await post('/v1/complete');
    expect(notFound.status).toBe(404);
    expect(JSON.parse(notFound.text)).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    const get = await fetch(`${baseUrl}/v1/messages`, { headers });
    expect(get.status).toBe(405);
    expect(fake.unexpected().map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(['POST /v1/complete 404', 'GET /v1/messages 405']);
  });

  it('refuses a main-conversation request when the script is empty', async () => {
    const response = await post('/v1/messages', { body: body({ stream: true }) });
    expect(response.status).toBe(400);
    expect(fake.unexpected()[0].error).toMatch(/no scripted reply left/);
  });

  it('streams a text reply as the real API does', async () => {
    fake.enqueue({ text: 'Hello from the fake' });
    const response = await post('/v1/messages?beta=true', { body: body({ stream: true }) });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = sse(response.text);
    for (const [name, data] of events) expect(data.type).toBe(name);
    expect(events.map(([name]) => name)).toEqual([
      'message_start',
      'ping',
      'content_block_start',
      ...Array(4).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(events[0][1].message).toMatchObject({ id: 'msg_fake_0001', type: 'message', role: 'assistant', model: FAKE_MODEL, content: [], stop_reason: null });
    expect(
      events
        .filter(([n]) => n === 'content_block_delta')
        .map(([, d]) => d.delta.text)
        .join(''),
    ).toBe('Hello from the fake');
    expect(events[events.length - 2][1]).toMatchObject({ delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: expect.any(Number) } });
    expect(fake.requests[0]).toMatchObject({ kind: 'main', status: 200, query: 'beta=true' });
  });

  it('streams a tool call as input_json_delta with stop_reason tool_use, and records the tool_result that comes back', async () => {
    const input = { command: 'echo hi > out.txt', description: 'write' };
    fake.enqueue({ toolUse: { name: 'Bash', input } }, { text: 'done' });
    const events = sse((await post('/v1/messages', { body: body({ stream: true }) })).text);
    expect(events.find(([n]) => n === 'content_block_start')?.[1].content_block).toEqual({ type: 'tool_use', id: 'toolu_fake_0001_0', name: 'Bash', input: {} });
    const json = events
      .filter(([, d]) => d.delta?.type === 'input_json_delta')
      .map(([, d]) => d.delta.partial_json)
      .join('');
    expect(JSON.parse(json)).toEqual(input);
    expect(events.find(([n]) => n === 'message_delta')?.[1].delta.stop_reason).toBe('tool_use');

    const toolResult = { type: 'tool_result', tool_use_id: 'toolu_fake_0001_0', content: 'ok', is_error: false };
    const messages = [prompt, { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_fake_0001_0', name: 'Bash', input }] }, { role: 'user', content: [toolResult] }];
    const second = await post('/v1/messages', { body: body({ messages }) });
    expect(JSON.parse(second.text)).toMatchObject({ type: 'message', content: [{ type: 'text', text: 'done' }], stop_reason: 'end_turn' });
    expect(fake.toolResults()).toEqual([toolResult]);
  });

  it('answers from the tool result the request carries, as a model reads it, and refuses a turn without one', async () => {
    fake.enqueue({ answerToolResult: (result) => `read: ${toolResultText(result)}` }, { answerToolResult: () => 'never' });
    const denial = { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'Denied by cli:owner: no' }], is_error: true };
    const messages = [prompt, { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Bash', input: {} }] }, { role: 'user', content: [denial] }];
    const answered = await post('/v1/messages', { body: body({ messages }) });
    expect(JSON.parse(answered.text)).toMatchObject({ content: [{ type: 'text', text: 'read: Denied by cli:owner: no' }], stop_reason: 'end_turn' });
    expect(fake.mainRequests()[0].reply).toEqual({ text: 'read: Denied by cli:owner: no' });

    const refused = await post('/v1/messages');
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.text).error.message).toBe('fake: the script answers a tool result, but the last turn has 0');
    expect(fake.unexpected()).toHaveLength(1);
  });

  it('answers non-streaming calls with a JSON message', async () => {
    fake.enqueue({ text: 'plain' });
    const response = await post('/v1/messages', { body: body({ stream: false }) });
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(response.text)).toEqual({
      id: 'msg_fake_0001',
      type: 'message',
      role: 'assistant',
      model: FAKE_MODEL,
      content: [{ type: 'text', text: 'plain' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: expect.objectContaining({ input_tokens: expect.any(Number), output_tokens: expect.any(Number) }),
    });
  });

  it('answers side calls (no tools) without using the script, JSON-schema ones with a conforming object', async () => {
    fake.enqueue({ text: 'for the main conversation' });
    const titleCall = body({
      tools: undefined,
      messages: [{ role: 'user', content: '<session>\nsay hello\n</session>' }],
      output_config: { format: { type: 'json_schema', schema: { type: 'object', properties: { title: { type: 'string' } }, required: ['title'] } } },
    });
    const response = JSON.parse((await post('/v1/messages', { body: titleCall })).text);
    expect(JSON.parse(response.content[0].text)).toEqual({ title: 'Fake session' });
    expect(fake.sideRequests()).toHaveLength(1);
    expect(fake.pending).toBe(1);
  });

  it('sends 429 with retry-after when scripted', async () => {
    fake.enqueue({ rateLimited: { retryAfterSeconds: 2 } });
    const response = await post('/v1/messages', { body: body({ stream: true }) });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('2');
    expect(JSON.parse(response.text).error.type).toBe('rate_limit_error');
    expect(fake.unexpected()).toEqual([]);
  });

  it('counts tokens', async () => {
    const response = await post('/v1/messages/count_tokens', { body: JSON.stringify({ model: FAKE_MODEL, messages: [prompt] }) });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toEqual({ input_tokens: expect.any(Number) });
    expect(fake.requests[0].kind).toBe('count_tokens');
  });
});
