// Builds the UI into dist/renderer with relative URLs, so the same files load from the browser host
// (http://127.0.0.1:<port>/) and from file:// inside Electron.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [svelte({ compilerOptions: { runes: true } })],
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Assets are emitted as files, never inlined as data: URLs, so `default-src 'self'` covers them all.
    assetsInlineLimit: 0,
  },
});
