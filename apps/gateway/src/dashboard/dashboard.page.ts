/** The web page: sessions, what each agent is doing now, and a box to send a message. */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Patchbay</title>
<link rel="stylesheet" href="/dashboard.css">
</head>
<body>
<header><h1>Patchbay</h1><span id="ready" class="pill">checking…</span><button id="logout" hidden>Log out</button></header>
<form id="login" hidden>
  <label for="token">This Patchbay needs an API token (http.tokens):</label>
  <input id="token" type="password" autocomplete="current-password" required>
  <button type="submit">Log in</button>
  <span id="login-error" class="error"></span>
</form>
<main>
  <section id="sessions-pane">
    <form id="send">
      <textarea id="text" rows="3" placeholder="Message for a new session (Ctrl+Enter sends)" required></textarea>
      <button type="submit">Send</button>
    </form>
    <table><thead><tr><th>session</th><th>status</th><th>agent</th><th>updated</th></tr></thead>
    <tbody id="sessions"></tbody></table>
  </section>
  <section id="output-pane">
    <h2 id="output-title">Pick a session</h2>
    <pre id="output"></pre>
  </section>
</main>
<script src="/dashboard.js"></script>
</body>
</html>
`;

export const DASHBOARD_CSS = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #fafafa; }
header { display: flex; gap: 1em; align-items: center; padding: .5em 1em; background: #222; color: #fff; }
h1 { font-size: 1.2em; margin: 0; }
.pill { padding: .1em .6em; border-radius: 1em; background: #666; font-size: .85em; }
.pill.ok { background: #2e7d32; } .pill.bad { background: #c62828; }
main { display: grid; grid-template-columns: minmax(18em, 1fr) 2fr; gap: 1em; padding: 1em; }
@media (max-width: 800px) { main { grid-template-columns: 1fr; } }
#login { padding: 1em; background: #fff3e0; align-items: center; } #logout { margin-left: auto; }
form { display: flex; gap: .5em; margin-bottom: 1em; } textarea { flex: 1; font: inherit; }
table { width: 100%; border-collapse: collapse; } td, th { text-align: left; padding: .3em; border-bottom: 1px solid #ddd; }
tr.session { cursor: pointer; } tr.session:hover, tr.selected { background: #e8f0fe; }
.running { color: #1565c0; font-weight: 600; } .failed { color: #c62828; }
pre { white-space: pre-wrap; background: #111; color: #eee; padding: 1em; min-height: 20em; overflow: auto; border-radius: 4px; }
.status { color: #90caf9; } .error { color: #ef9a9a; } .final { color: #a5d6a7; }
`;

/**
 * Plain DOM, no framework; every value from the server goes in as text, never as HTML.
 * Logged in (tokened setups) by an HttpOnly session cookie; its CSRF token lives in this
 * page's memory only and goes with every unsafe request.
 */
export const DASHBOARD_JS = `
const $ = (id) => document.getElementById(id);
let selected = null;
let source = null;
let csrf = null;

function showLogin(shown) {
  $('login').hidden = !shown;
  if (shown) $('token').focus();
}

/** fetch for the API: JSON bodies, the CSRF token on unsafe requests, the login form on 401. */
async function api(path, init = {}) {
  const headers = { ...(init.headers || {}) };
  if (init.method && init.method !== 'GET') {
    headers['content-type'] = 'application/json';
    if (csrf) headers['x-csrf-token'] = csrf;
  }
  const r = await fetch(path, { ...init, headers });
  if (r.status === 401) showLogin(true);
  return r;
}

async function whoAmI() {
  const r = await api('/api/auth/session');
  if (!r.ok) return;
  const me = await r.json();
  csrf = me.csrfToken || null;
  $('logout').hidden = !csrf;
  showLogin(false);
}

$('login').onsubmit = async (ev) => {
  ev.preventDefault();
  const r = await api('/api/auth/session', { method: 'POST', body: JSON.stringify({ token: $('token').value }) });
  const body = await r.json();
  if (!r.ok) { $('login-error').textContent = body.message; showLogin(true); return; }
  $('token').value = ''; $('login-error').textContent = '';
  csrf = body.csrfToken; $('logout').hidden = false; showLogin(false);
  refreshReady(); refreshSessions();
};
$('logout').onclick = async () => {
  await api('/api/auth/session', { method: 'DELETE' });
  csrf = null; $('logout').hidden = true;
  if (source) source.close();
  showLogin(true);
};

function cell(row, text, cls) {
  const td = row.insertCell();
  td.textContent = text;
  if (cls) td.className = cls;
}

async function refreshSessions() {
  try {
    const r = await api('/api/sessions');
    if (!r.ok) return;
    const { sessions } = await r.json();
    const body = $('sessions');
    body.replaceChildren();
    for (const s of sessions) {
      const row = body.insertRow();
      row.className = 'session' + (s.id === selected ? ' selected' : '');
      row.onclick = () => follow(s.id);
      cell(row, s.id); cell(row, s.status, s.status); cell(row, s.agent);
      cell(row, new Date(s.updatedAt).toLocaleTimeString());
    }
  } catch (e) { /* the next tick retries */ }
}

async function refreshReady() {
  const pill = $('ready');
  try {
    const response = await api('/readyz');
    if (response.status === 401) { pill.textContent = 'log in'; pill.className = 'pill bad'; return; }
    const r = await response.json();
    const problems = Object.entries(r.checks).filter(([, c]) => !c.ok).map(([k, c]) => k + ': ' + c.detail);
    pill.textContent = r.status === 'ready' ? 'ready · ' + r.checks.runners.count + ' runner(s)' : problems.join('; ');
    pill.className = 'pill ' + (r.status === 'ready' ? 'ok' : 'bad');
  } catch (e) { pill.textContent = 'not reachable'; pill.className = 'pill bad'; }
}

function append(text, cls) {
  const span = document.createElement('span');
  span.textContent = text;
  if (cls) span.className = cls;
  $('output').append(span);
  $('output').scrollTop = $('output').scrollHeight;
}

function follow(id) {
  if (source) source.close();
  selected = id;
  $('output-title').textContent = 'Session ' + id;
  $('output').replaceChildren();
  source = new EventSource('/api/sessions/' + encodeURIComponent(id) + '/events');
  source.onmessage = (m) => {
    const e = JSON.parse(m.data);
    if (e.type === 'text') append(e.text);
    else if (e.type === 'final') append('\\n[done in ' + (e.durationMs / 1000).toFixed(1) + ' s]\\n', 'final');
    else if (e.type === 'error') append('\\n[error ' + e.code + '] ' + e.text + '\\n', 'error');
    else if (e.type === 'tool_call') append('[tool] ' + e.tool + ': ' + e.input + '\\n', 'status');
    else append('[' + e.type + '] ' + e.text + '\\n', 'status');
  };
  // The server ends the stream when the run is over; do not reconnect and replay it again.
  source.onerror = () => source.close();
  refreshSessions();
}

$('send').onsubmit = async (ev) => {
  ev.preventDefault();
  const text = $('text').value.trim();
  if (!text) return;
  const r = await api('/api/messages', { method: 'POST', body: JSON.stringify({ text }) });
  const body = await r.json();
  if (!r.ok) { append('[error] ' + body.message + '\\n', 'error'); return; }
  $('text').value = '';
  follow(body.sessionId);
};
$('text').onkeydown = (ev) => { if (ev.key === 'Enter' && ev.ctrlKey) $('send').requestSubmit(); };

whoAmI().then(() => { refreshReady(); refreshSessions(); });
setInterval(refreshReady, 5000); setInterval(refreshSessions, 3000);
`;
