import { maskSensitive, maskText } from './masking';

describe('log masking', () => {
  it('masks mainland mobile numbers inside text, keeping 3 + 4 digits', () => {
    expect(maskText('registered 13912345678 and 18800001111.')).toBe('registered 139****5678 and 188****1111.');
  });

  it('leaves longer digit runs (ids, amounts) alone', () => {
    expect(maskText('order 213912345678901')).toBe('order 213912345678901');
  });

  it('redacts secrets in URL query strings, keeping the other parameters', () => {
    expect(maskText('/admin/queues?token=eyJ.abc.def&page=2')).toBe('/admin/queues?token=[redacted]&page=2');
    expect(maskText('/callback?state=x&code=081abcDEF')).toBe('/callback?state=x&code=[redacted]');
    expect(maskText('/graphql?query=%7B%7D')).toBe('/graphql?query=%7B%7D');
  });

  it('masks WeChat openids in text and by key', () => {
    const openid = 'oAbCdEfGhIjKlMnOpQrStUvWx123';
    expect(openid).toHaveLength(28);
    expect(maskText(`bound ${openid}`)).toBe('bound o***x123');
    expect(maskSensitive({ openid, nested: { wechatOpenid: openid } })).toEqual({
      openid: '***x123',
      nested: { wechatOpenid: '***x123' },
    });
  });

  it('redacts secrets and masks error messages', () => {
    const masked = maskSensitive({ headers: { authorization: 'Bearer abc' }, err: new Error('mobile 13700001234 taken') }) as any;
    expect(masked.headers.authorization).toBe('[redacted]');
    expect(masked.err.message).toBe('mobile 137****1234 taken');
  });
});
