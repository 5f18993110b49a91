import 'vant/lib/index.css';
import './styles.css';
import { showToast } from 'vant';
import { createApp } from 'vue';
import App from './App.vue';
import { messageOf } from './api/client';
import { router } from './router';

const app = createApp(App);
app.use(router);
// Nothing thrown may leave a blank page: say what went wrong where the person is.
app.config.errorHandler = (error) => {
  console.error(error);
  showToast({ message: messageOf(error), wordBreak: 'break-word' });
};
window.addEventListener('unhandledrejection', (event) => {
  event.preventDefault(); // handled here
  // A screen that could not be fetched: the router has already shown the offline page.
  if (/dynamically imported module|resolve component/i.test(String(event.reason?.message ?? event.reason))) return;
  console.error(event.reason);
  showToast({ message: messageOf(event.reason), wordBreak: 'break-word' });
});
// A screen's stylesheet that cannot be fetched (offline): the router's onError shows the
// offline page when its script fails too; do not also throw.
window.addEventListener('vite:preloadError', (event) => event.preventDefault());
app.mount('#app');
