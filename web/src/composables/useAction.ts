import { showFailToast, showSuccessToast } from 'vant';
import { ref } from 'vue';
import { ApiError, messageOf } from '../api/client';

/**
 * Runs a command (sign up, publish, …) once at a time: success says `done`, a coded
 * failure shows its Chinese message as a toast, and BAD_USER_INPUT's fields are kept
 * for the form to mark.
 */
export function useAction() {
  const busy = ref(false);
  const fieldErrors = ref<Record<string, string>>({});
  async function run<T>(work: () => Promise<T>, done?: string): Promise<T | undefined> {
    if (busy.value) return undefined;
    busy.value = true;
    fieldErrors.value = {};
    try {
      const result = await work();
      if (done) showSuccessToast(done);
      return result;
    } catch (error) {
      if (error instanceof ApiError && error.fields.length) {
        for (const field of error.fields) fieldErrors.value[field.replace(/^input\./, '')] = error.message;
      }
      showFailToast({ message: messageOf(error), wordBreak: 'break-word', duration: 3000 });
      return undefined;
    } finally {
      busy.value = false;
    }
  }
  return { busy, fieldErrors, run };
}
