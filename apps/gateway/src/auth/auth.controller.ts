import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Post, Req, Res, UnauthorizedException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { parseBody } from '../parse-body';
import { ApiTokens } from './api-tokens';
import { SESSION_COOKIE } from './auth.constants';
import { ApiCaller, Caller } from './caller';
import { DashboardSessions } from './dashboard-sessions';
import { cookie } from './api-access.guard';
import { Anonymous, MinRole } from './route-access.decorator';

const LoginBody = z.object({ token: z.string().min(1).max(512) }).strict();

/** Who is calling, and the CSRF token a dashboard session must send on unsafe requests. */
interface WhoAmI {
  actor: 'api' | 'local';
  name: string;
  role: string;
  csrfToken?: string;
}

/** The dashboard's login: a token in, an HttpOnly session cookie and a CSRF token out. */
@Controller('api/auth/session')
export class AuthController {
  constructor(
    private readonly tokens: ApiTokens,
    private readonly sessions: DashboardSessions,
  ) {}

  @Post()
  @Anonymous()
  @HttpCode(HttpStatus.CREATED)
  login(@Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response): WhoAmI {
    const { token } = parseBody(LoginBody, body ?? {});
    const holder = this.tokens.find(token);
    if (!holder) throw new UnauthorizedException('the API token is not one of http.tokens (or PATCHBAY_API_TOKEN)');
    const session = this.sessions.create(holder);
    res.cookie(SESSION_COOKIE, session.id, {
      httpOnly: true,
      sameSite: 'strict',
      path: '/',
      secure: req.secure,
      expires: new Date(session.expiresAt),
    });
    return { actor: 'api', name: holder.name, role: holder.role, csrfToken: session.csrfToken };
  }

  /** The page asks this on load: a session's CSRF token survives a reload this way, never in storage. */
  @Get()
  @MinRole('viewer')
  whoAmI(@Caller() caller: ApiCaller, @Req() req: Request): WhoAmI {
    if (caller.kind === 'local') return { actor: 'local', name: caller.user, role: caller.role };
    const session = caller.via === 'session' ? this.sessions.find(cookie(req.headers.cookie, SESSION_COOKIE) ?? '') : null;
    return { actor: 'api', name: caller.name, role: caller.role, ...(session ? { csrfToken: session.csrfToken } : {}) };
  }

  @Delete()
  @MinRole('viewer')
  @HttpCode(HttpStatus.NO_CONTENT)
  logout(@Req() req: Request, @Res({ passthrough: true }) res: Response): void {
    const id = cookie(req.headers.cookie, SESSION_COOKIE);
    if (id) this.sessions.delete(id);
    res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', path: '/', secure: req.secure });
  }
}
