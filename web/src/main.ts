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
  console.error(event.reason);
  showToast({ message: messageOf(event.reason), wordBreak: 'break-word' });
});
app.mount('#app');
