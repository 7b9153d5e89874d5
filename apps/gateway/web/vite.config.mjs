import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

/** The dashboard: built into dist/web, served by the gateway (DashboardController). */
export default defineConfig({
  root: here,
  base: '/',
  logLevel: 'warn',
  build: { outDir: fileURLToPath(new URL('../../../dist/web', import.meta.url)), emptyOutDir: true, assetsDir: 'assets', sourcemap: true },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
});
