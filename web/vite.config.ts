import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [vue()],
  build: {
    // Read by scripts/check-size.mjs to add up what each first screen loads.
    manifest: true,
    sourcemap: false,
  },
  server: {
    // `npm run dev` in web/ next to `npm start`: the API on port 3000.
    proxy: { '/graphql': 'http://localhost:3000', '/admin/queues': 'http://localhost:3000' },
  },
});
