import { Controller, Get, Header, NotFoundException, Param, Res, ServiceUnavailableException, StreamableFile } from '@nestjs/common';
import type { Response } from 'express';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { patchbayRoot } from '@patchbay/config';
import { Public } from '../auth/route-access.decorator';

/**
 * No inline script anywhere: the page's code is its own files. Styles too, but for
 * `<style>` elements carrying this response's nonce: the terminal view (xterm) writes its
 * measurements into style elements, and the page stamps them (web/src/style-nonce.ts).
 */
export function dashboardCsp(styleNonce?: string): string {
  const style = styleNonce ? `'self' 'nonce-${styleNonce}'` : "'self'";
  return `default-src 'none'; script-src 'self'; style-src ${style}; connect-src 'self'; img-src 'self' data:; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`;
}

/** Built assets have a content hash in their name: a new build is a new name. */
const ASSET = /^[\w-]+\.(js|css|map|svg|woff2)$/;
const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  map: 'application/json; charset=utf-8',
  svg: 'image/svg+xml',
  woff2: 'font/woff2',
};

/**
 * Serves the web dashboard (apps/gateway/web, built by Vite). Static and secret-free: the
 * page only uses the public API, which checks every call.
 */
@Controller()
@Public()
export class DashboardController {
  /** The built dashboard: `npm run build` writes dist/web. */
  private readonly root = join(patchbayRoot(), 'dist', 'web');
  private index: string | null = null;

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  // The page names this build's assets, and has a new nonce each time: always asked again.
  @Header('Cache-Control', 'no-cache')
  page(@Res({ passthrough: true }) res: Response): string {
    this.index ??= existsSync(join(this.root, 'index.html')) ? readFileSync(join(this.root, 'index.html'), 'utf8') : null;
    if (this.index === null) throw new ServiceUnavailableException('the web dashboard is not built: run `npm run build` in the Patchbay folder');
    const nonce = randomBytes(16).toString('base64');
    res.setHeader('Content-Security-Policy', dashboardCsp(nonce));
    return this.index.replace('<head>', `<head>\n    <meta name="style-nonce" content="${nonce}" />`);
  }

  @Get('assets/:file')
  async asset(@Param('file') file: string, @Res({ passthrough: true }) res: Response): Promise<StreamableFile> {
    const kind = ASSET.exec(file)?.[1];
    if (!kind) throw new NotFoundException(`no asset ${file}`);
    const body = await readFile(join(this.root, 'assets', file)).catch(() => null);
    if (!body) throw new NotFoundException(`no asset ${file}`);
    res.setHeader('Content-Type', TYPES[kind]);
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    res.setHeader('Content-Security-Policy', dashboardCsp());
    return new StreamableFile(body);
  }
}
