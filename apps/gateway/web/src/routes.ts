import type { ComponentType } from 'preact';
import { ApprovalsPage } from './pages/approvals';
import { OverviewPage } from './pages/overview';
import { SessionPage } from './pages/session';
import type { WhoAmI } from './types';

export interface PageProps {
  me: WhoAmI;
  /** The route's `:param` parts, by name. */
  params: Record<string, string>;
}

export interface Route {
  /** A hash path such as `/session/:id`. */
  path: string;
  page: ComponentType<PageProps>;
  /** Shown in the navigation when set. */
  title?: string;
}

/** Every page of the dashboard: add a page here (one file under pages/ each). */
export const ROUTES: Route[] = [
  { path: '/', page: OverviewPage, title: 'Overview' },
  { path: '/session/:id', page: SessionPage },
  { path: '/approvals', page: ApprovalsPage, title: 'Approvals' },
];

/** The route a hash path names, with its parameters; the overview for anything unknown. */
export function match(path: string): { route: Route; params: Record<string, string> } {
  const parts = path.split('/').filter(Boolean);
  for (const route of ROUTES) {
    const want = route.path.split('/').filter(Boolean);
    if (want.length !== parts.length) continue;
    const params: Record<string, string> = {};
    if (want.every((segment, i) => (segment.startsWith(':') ? ((params[segment.slice(1)] = decodeURIComponent(parts[i])), true) : segment === parts[i]))) return { route, params };
  }
  return { route: ROUTES[0], params: {} };
}
