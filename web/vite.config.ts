import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));
/** Where `npm run dev:web` forwards API calls: a server started with `npm run dev` (or OPENEXPERT_DEV_API). */
const api = process.env.OPENEXPERT_DEV_API ?? 'http://127.0.0.1:5000';

export default defineConfig({
  root: here,
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
  },
  server: {
    proxy: { '/api': api, '/ajax-api': api },
  },
});
