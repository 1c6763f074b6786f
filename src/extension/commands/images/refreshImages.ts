// "Refresh" in the Images view title.
import type { Services } from '../../services';

export function refreshImages(s: Services) {
  return async (): Promise<void> => {
    await s.images.refresh();
  };
}
