import vue from '@vitejs/plugin-vue';
import { type Plugin, defineConfig } from 'vite';

/**
 * Vant's icon font is inlined as a data: URL, with a fallback on a CDN for browsers
 * without woff2: the CSP (and no internet in a village office) would refuse it, and every
 * browser that runs this app reads woff2. Drop the fallback.
 */
const noCdnFont: Plugin = {
  name: 'vant-icon-font-without-cdn',
  transform(code, id) {
    if (!id.includes('vant') || !id.endsWith('.css')) return null;
    return code.replace(/,\s*url\(\/\/at\.alicdn\.com[^)]*\)\s*format\("woff"\)/g, '');
  },
};

export default defineConfig({
  plugins: [vue(), noCdnFont],
  build: {
    // Read by scripts/check-size.mjs to add up what each first screen loads.
    manifest: true,
    sourcemap: false,
  },
  server: {
    // `npm run dev` in web/ next to `npm start`: the API on port 3000.
    proxy: { '/graphql': 'http://localhost:3000', '/admin/queues': 'http://localhost:3000', '/deeds': 'http://localhost:3000' },
  },
});
