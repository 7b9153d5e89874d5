import type { ComponentType } from 'preact';
import { AccessPage } from './pages/access';
import { ApprovalsPage } from './pages/approvals';
import { JobsPage } from './pages/jobs';
import { OverviewPage } from './pages/overview';
import { SessionPage } from './pages/session';
import { TasksPage } from './pages/tasks';
import type { Action, WhoAmI } from './types';

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
  /** What the page needs the viewer's role to allow; others do not see it. */
  needs?: Action;
}

/** Every page of the dashboard: add a page here (one file under pages/ each). */
export const ROUTES: Route[] = [
  { path: '/', page: OverviewPage, title: 'Overview' },
  { path: '/session/:id', page: SessionPage },
  { path: '/approvals', page: ApprovalsPage, title: 'Approvals' },
  { path: '/tasks', page: TasksPage, title: 'Tasks' },
  { path: '/jobs', page: JobsPage, title: 'Jobs' },
  { path: '/access', page: AccessPage, title: 'Access', needs: 'admin' },
];

/** The route a hash path names, with its parameters; the overview for anything unknown or not allowed. */
export function match(path: string, allowed: (route: Route) => boolean): { route: Route; params: Record<string, string> } {
  const parts = path.split('/').filter(Boolean);
  for (const route of ROUTES.filter(allowed)) {
    const want = route.path.split('/').filter(Boolean);
    if (want.length !== parts.length) continue;
    const params: Record<string, string> = {};
    if (want.every((segment, i) => (segment.startsWith(':') ? ((params[segment.slice(1)] = decodeURIComponent(parts[i])), true) : segment === parts[i]))) return { route, params };
  }
  return { route: ROUTES[0], params: {} };
}
