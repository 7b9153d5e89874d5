import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, login, logout, may, onUnauthorized, whoAmI } from './api';
import { ReadyPill } from './components/ready-pill';
import { match, Route, ROUTES } from './routes';
import type { WhoAmI } from './types';
import { stampStyleNonce } from './style-nonce';
import './styles.css';

function useHashPath(): string {
  const [path, setPath] = useState(location.hash.slice(1) || '/');
  useEffect(() => {
    const changed = () => setPath(location.hash.slice(1) || '/');
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return path;
}

function Login({ onDone }: { onDone: (me: WhoAmI) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  const submit = async (event: Event) => {
    event.preventDefault();
    try {
      onDone(await login(token));
      setToken('');
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : 'Patchbay is not reachable');
    }
  };
  return (
    <form class="login" onSubmit={submit}>
      <label for="token">This Patchbay needs an API token (http.tokens):</label>
      <input id="token" type="password" autocomplete="current-password" required value={token} onInput={(e) => setToken(e.currentTarget.value)} />
      <button type="submit">Log in</button>
      {error && <p class="error">{error}</p>}
    </form>
  );
}

function App() {
  const path = useHashPath();
  const [me, setMe] = useState<WhoAmI | null | undefined>(undefined);
  useEffect(() => {
    onUnauthorized(() => setMe(null));
    whoAmI().then(setMe, () => setMe(null));
  }, []);
  const allowed = (r: Route) => !r.needs || may(me?.role, r.needs);
  const { route, params } = match(path, allowed);
  const Page = route.page;
  return (
    <>
      <header>
        <a class="brand" href="#/">
          Patchbay
        </a>
        <nav>
          {ROUTES.filter((r) => r.title && allowed(r)).map((r) => (
            <a href={`#${r.path}`} class={r === route ? 'active' : ''}>
              {r.title}
            </a>
          ))}
        </nav>
        <ReadyPill />
        {me && (
          <span class="me">
            {me.name} ({me.role})
            {me.csrfToken && (
              <button class="link" onClick={() => logout().then(() => setMe(null))}>
                Log out
              </button>
            )}
          </span>
        )}
      </header>
      <main>{me === undefined ? <p>Loading…</p> : me === null ? <Login onDone={setMe} /> : <Page me={me} params={params} />}</main>
    </>
  );
}

stampStyleNonce();
render(<App />, document.getElementById('app')!);
