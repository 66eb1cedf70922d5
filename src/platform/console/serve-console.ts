import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** Where `npm run build` (vite) writes the console. */
export const CONSOLE_DIR = path.resolve('dist/console');

/**
 * The console at /console: its built files, index.html for client routes (SPA fallback), and
 * `/` redirects there. The files are public; every API call they make needs the session cookie.
 */
export function serveConsole(app: NestExpressApplication): void {
  const index = path.join(CONSOLE_DIR, 'index.html');
  app.useStaticAssets(CONSOLE_DIR, { prefix: '/console', index: false, maxAge: '1h' });
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (req.path === '/') return res.redirect(302, '/console/');
    // Browsers ask for it at the root whatever page they show.
    if (req.path === '/favicon.ico')
      return res.sendFile(path.join(CONSOLE_DIR, 'favicon.ico'), { maxAge: '1d' }, (err) => err && next());
    if (req.path !== '/console' && !req.path.startsWith('/console/')) return next();
    // A missing asset is a 404, not the page: only extension-less paths are client routes.
    if (path.extname(req.path)) return next();
    if (!existsSync(index)) return res.status(503).type('text').send('console not built: run npm run build');
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
}
