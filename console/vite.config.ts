import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

// Built into dist/console and served by the service at /console (src/platform/console).
// JSX goes through Vite 8's own oxc transform (React's automatic runtime); see ADR 0011 for why
// @vitejs/plugin-react is not installed.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    reportCompressedSize: true,
    // React ~190 kB, uPlot ~50 kB, the app ~90 kB (min); see ADR 0011.
    chunkSizeWarningLimit: 360,
  },
});
