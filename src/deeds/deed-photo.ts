/** The largest photo a report may carry: phones take 2-4 MB; larger is refused, not resized. */
export const MAX_PHOTO_BYTES = 5 * 1024 * 1024;

export type PhotoType = 'image/jpeg' | 'image/png' | 'image/webp';

/**
 * The photo's type from its first bytes (magic numbers), never from the client's
 * Content-Type or file name: JPEG (FF D8 FF), PNG (89 50 4E 47 0D 0A 1A 0A), WebP
 * (RIFF....WEBP). Anything else is undefined (refused: PHOTO_TYPE_NOT_ALLOWED), which
 * keeps SVG (script), HTML and executables out of what the service serves back.
 */
export function sniffPhotoType(bytes: Uint8Array): PhotoType | undefined {
  const starts = (sig: number[], at = 0) => bytes.length >= at + sig.length && sig.every((b, i) => bytes[at + i] === b);
  if (starts([0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return 'image/webp';
  return undefined;
}
