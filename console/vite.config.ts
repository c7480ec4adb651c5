/**
 * The web console's build (scripts/build.ts runs it into dist/console). Preact's JSX through
 * Vite's own transform (Oxc), no plugin; served by the platform under /console, so every URL
 * the build writes starts there. No inline scripts or styles (the console's CSP forbids
 * them), no source maps in the package.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    target: 'es2022',
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
  },
});
