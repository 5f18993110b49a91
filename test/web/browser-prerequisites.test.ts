import { launchChromium } from './support/browser';

describe('the browser tests\' prerequisites', () => {
  it('fail, never skip, without Chromium, saying how to install it and the Chinese font', async () => {
    await expect(launchChromium('/nonexistent/chromium')).rejects.toThrow(
      'Chromium not found at /nonexistent/chromium: install it with `apt-get install -y chromium fonts-wqy-microhei`',
    );
  });
});
