import { type Ref, ref, shallowRef } from 'vue';
import { messageOf } from '../api/client';

/** Loads a screen's data; `error` holds the Chinese message to show in place with a retry. */
export function useLoad<T>(load: () => Promise<T>, { immediate = true } = {}) {
  const data = shallowRef<T | null>(null) as Ref<T | null>;
  const error = ref<string | null>(null);
  const loading = ref(false);
  let generation = 0;
  async function reload(): Promise<void> {
    const mine = ++generation;
    loading.value = true;
    error.value = null;
    try {
      const result = await load();
      if (mine === generation) data.value = result;
    } catch (e) {
      if (mine === generation) error.value = messageOf(e);
    } finally {
      if (mine === generation) loading.value = false;
    }
  }
  if (immediate) void reload();
  return { data, error, loading, reload };
}
