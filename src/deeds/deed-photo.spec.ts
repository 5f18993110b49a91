import { sniffPhotoType } from './deed-photo';

describe('sniffPhotoType', () => {
  const bytes = (...b: number[]) => Uint8Array.from(b);
  it('knows JPEG, PNG and WebP by their first bytes', () => {
    expect(sniffPhotoType(bytes(0xff, 0xd8, 0xff, 0xe0, 0, 0))).toBe('image/jpeg');
    expect(sniffPhotoType(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0))).toBe('image/png');
    expect(sniffPhotoType(Buffer.from('RIFF\x10\x00\x00\x00WEBPVP8 ', 'latin1'))).toBe('image/webp');
  });
  it('refuses everything else, however it is named', () => {
    expect(sniffPhotoType(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'))).toBeUndefined();
    expect(sniffPhotoType(Buffer.from('GIF89a'))).toBeUndefined();
    expect(sniffPhotoType(Buffer.from('RIFF\x10\x00\x00\x00WAVEfmt ', 'latin1'))).toBeUndefined();
    expect(sniffPhotoType(bytes(0xff, 0xd8))).toBeUndefined();
    expect(sniffPhotoType(bytes())).toBeUndefined();
  });
});
