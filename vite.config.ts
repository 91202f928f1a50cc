import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

// The renderer builds to out/renderer with relative asset paths, so it loads both from file:// in
// Electron and from the serve bridge.
export default defineConfig({
  root: `${root}renderer`,
  base: './',
  plugins: [svelte()],
  build: {
    outDir: `${root}out/renderer`,
    emptyOutDir: true,
    target: 'chrome130',
    // Konva and Svelte are one small chunk; no code splitting needed.
    chunkSizeWarningLimit: 1500,
  },
});
