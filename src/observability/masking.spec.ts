import { maskSensitive, maskText, maskUrl } from './masking';

describe('log masking', () => {
  it('masks mainland mobile numbers inside text, keeping 3 + 4 digits', () => {
    expect(maskText('registered 13912345678 and 18800001111.')).toBe('registered 139****5678 and 188****1111.');
  });

  it('leaves longer digit runs (ids, amounts) alone', () => {
    expect(maskText('order 213912345678901')).toBe('order 213912345678901');
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

  it.each([
    ['/?code=061abcDEF&state=x7f', '/?code=[redacted]&state=[redacted]'],
    ['/r/checkin?activity=4b1f&code=123456', '/r/checkin?activity=4b1f&code=[redacted]'],
    ['/login?ticket=Zm9vYmFyZm9vYmFy', '/login?ticket=[redacted]'],
    ['/admin/queues?token=eyJhbGciOi.x.y', '/admin/queues?token=[redacted]'],
    ['/m/residents?q=13912345678', '/m/residents?q=139****5678'],
    ['/r/home', '/r/home'],
  ])('keeps codes and tokens out of logged URLs: %s', (url, logged) => {
    expect(maskUrl(url)).toBe(logged);
  });
});
