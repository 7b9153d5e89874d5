import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, MODULE_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { GatewayModule } from '../gateway.module';
import { ROUTE_ACCESS } from './auth.constants';
import { RouteAccess } from './route-access.decorator';

/** Every route of the gateway with the rule the guard applies to it (the handler's, else the controller's). */
function routeTable(): Record<string, string> {
  const table: Record<string, string> = {};
  const controllers: Array<new (...args: never[]) => object> = Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, GatewayModule);
  for (const controller of controllers) {
    const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '').replace(/^\/|\/$/g, '');
    for (const key of Object.getOwnPropertyNames(controller.prototype)) {
      const handler = controller.prototype[key as keyof object] as unknown as object;
      const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
      if (path === undefined || key === 'constructor') continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
      const access = (Reflect.getMetadata(ROUTE_ACCESS, handler) ?? Reflect.getMetadata(ROUTE_ACCESS, controller)) as RouteAccess | undefined;
      const route = `${method} /${[base, path.replace(/^\/$/, '')].filter(Boolean).join('/')}`;
      table[route] = access ? (access.kind === 'role' ? access.role : access.kind) : 'MISSING';
    }
  }
  return table;
}

describe('the access rule of every gateway route', () => {
  it('is explicit, and what issue #9 asks for', () => {
    expect(routeTable()).toEqual({
      'GET /': 'public',
      'GET /assets/:file': 'public',
      'GET /healthz': 'public',
      'POST /webhooks/github': 'public',
      'POST /webhooks/telegram': 'public',
      'GET /readyz': 'viewer',
      'GET /api/doctor': 'viewer',
      'GET /metrics': 'viewer', // issue #10: Prometheus scrapes with the API's token
      'POST /api/auth/session': 'anonymous',
      'GET /api/auth/session': 'viewer',
      'DELETE /api/auth/session': 'viewer',
      'GET /api/sessions': 'viewer',
      'GET /api/sessions/:id': 'viewer',
      'GET /api/sessions/:id/events': 'viewer',
      'GET /api/runners': 'viewer',
      'GET /api/events': 'viewer',
      'GET /api/sessions/:id/screen': 'viewer',
      'GET /api/sessions/:id/screen/stream': 'viewer',
      'GET /api/sessions/:id/bindings': 'viewer',
      'GET /api/chats': 'viewer',
      'GET /api/tasks': 'viewer',
      'GET /api/tasks/:id': 'viewer',
      'GET /api/jobs': 'viewer',
      'GET /api/jobs/:name/runs': 'viewer',
      'GET /api/approvals': 'viewer',
      'POST /api/approvals/:id': 'viewer', // the engine refuses a viewer's answer, and audits it
      'POST /api/messages': 'operator',
      'GET /api/inbound/dead': 'operator',
      'POST /api/sessions/:id/stop': 'operator',
      'POST /api/sessions/:id/kill': 'operator',
      'POST /api/sessions/:id/input': 'operator',
      'POST /api/sessions/:id/keys': 'operator',
      'POST /api/sessions/:id/bindings': 'operator',
      'DELETE /api/sessions/:id/bindings/:channel/:chatId': 'operator',
      'GET /api/pairing': 'owner',
      'POST /api/pairing/:code/approve': 'owner',
      'GET /api/principals': 'owner',
      'POST /api/principals/:id/role': 'owner',
      'DELETE /api/principals/:id': 'owner',
      'GET /api/audit': 'owner',
      'POST /api/jobs': 'owner',
      'DELETE /api/jobs/:name': 'owner',
      'POST /api/inbound/dead/:id/retry': 'owner',
      'DELETE /api/inbound/dead/:id': 'owner',
      'POST /api/jobs/:name/enable': 'owner',
      'POST /api/jobs/:name/disable': 'owner',
      'POST /api/jobs/:name/run': 'owner',
    });
  });
});
