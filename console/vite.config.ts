// The console is static files under /console, served by the API process (api/console/router.ts).
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The flow graph and the charts are large libraries: each page loads only its own.
    chunkSizeWarningLimit: 1200,
  },
  // `npm run dev` in console/: the API on its usual port answers the console's requests.
  server: { proxy: { '/v1': 'http://127.0.0.1:3000' } },
});
