import { ArgumentsHost, Catch, NotFoundException } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Request, Response } from 'express';

/**
 * Nest answers an unknown route with "Cannot GET <url>", query string included, which would
 * echo a token someone put in the URL. The path alone says what was not found.
 */
@Catch(NotFoundException)
export class RouteNotFoundFilter extends BaseExceptionFilter {
  override catch(error: NotFoundException, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    if (error.message !== `Cannot ${req.method} ${req.originalUrl}`) return super.catch(error, host);
    http
      .getResponse<Response>()
      .status(404)
      .json({ statusCode: 404, error: 'Not Found', message: `Cannot ${req.method} ${req.path}` });
  }
}
