import { loadConfig } from '../config/app-config';
import { TokenService } from './token.service';

describe('TokenService remembering verified tokens', () => {
  const tokens = new TokenService(loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'a-test-secret-long-enough-for-the-service-0123456789' }));
  afterEach(() => jest.restoreAllMocks());

  it('refuses a remembered token once it has expired', () => {
    const { token, expiresAt } = tokens.issueAccessToken('5b0c3a8e-8f4e-4c36-9f59-2f1f6a6f1b11');
    expect(tokens.verify(token, 'access')).toBe('5b0c3a8e-8f4e-4c36-9f59-2f1f6a6f1b11');
    jest.spyOn(Date, 'now').mockReturnValue(expiresAt.getTime() + 1000);
    expect(() => tokens.verify(token, 'access')).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
  });

  it('refuses a remembered token of another kind', () => {
    const binding = tokens.issueBindingToken('oAbCdEfGhIjKlMnOpQrStUvWx123');
    expect(tokens.verify(binding, 'wechat-binding')).toBe('oAbCdEfGhIjKlMnOpQrStUvWx123');
    expect(() => tokens.verify(binding, 'access')).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
    expect(() => tokens.verify(binding, 'wechat-web-binding')).toThrow(expect.objectContaining({ code: 'BINDING_EXPIRED' }));
  });
});
