import { deflateSync } from 'node:zlib';
import { TestApp } from './test-app';

/** A real PNG (decodable: the browser test shows it): 1×1 by default, or a `width`×`height` sunrise gradient. */
export function tinyPng(width = 1, height = 1): Buffer {
  const crc32 = (buf: Buffer) => {
    let c = ~0;
    for (const b of buf) {
      c ^= b;
      for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
    }
    return ~c >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const rows: number[] = [];
  for (let y = 0; y < height; y++) {
    rows.push(0);
    for (let x = 0; x < width; x++) {
      if (width === 1 && height === 1) rows.push(0xe6, 0x3c, 0x2e);
      else rows.push(230 - Math.round((60 * y) / height), 90 + Math.round((120 * x) / width), 60 + Math.round((150 * y) / height));
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.from(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** JPEG's magic bytes followed by filler: enough for the type check (never decoded by the service). */
export const jpegLike = (size: number) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(Math.max(0, size - 4), 7)]);

export interface UploadAnswer {
  status: number;
  body: any;
}

/** POSTs raw bytes to /deeds/photos as the holder of `token`. */
export async function uploadPhoto(baseUrl: string, token: string | undefined, bytes: Buffer, contentType = 'image/png'): Promise<UploadAnswer> {
  const response = await fetch(`${baseUrl}/deeds/photos`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: bytes,
  });
  return { status: response.status, body: await response.json() };
}

/** The service's base URL (without /graphql). */
export const baseUrlOf = (t: TestApp) => t.url.replace(/\/graphql$/, '');

/** Uploads a small PNG and returns its id (throws if refused). */
export async function photoId(t: TestApp | string, token: string): Promise<string> {
  const answer = await uploadPhoto(typeof t === 'string' ? t : baseUrlOf(t), token, tinyPng());
  if (answer.status !== 201) throw new Error(`upload refused: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body.photoId;
}

export const DEED_REPORT_FIELDS = `id status round points residentId reportedBy kindName title noticeEndsAt decisionReason recheckReason entryId photoUrl residentName`;

export const REPORT_DEED = `mutation($input: ReportDeedInput!) { reportDeed(input: $input) { ${DEED_REPORT_FIELDS} } }`;
export const REVIEW_DEED = `mutation($input: ReviewDeedInput!) { reviewDeedReport(input: $input) { ${DEED_REPORT_FIELDS} } }`;
export const REQUEST_RECHECK = `mutation($input: DeedRecheckInput!) { requestDeedRecheck(input: $input) { id status residentName noticeEndsAt } }`;
export const SAVE_DEED_KIND = `mutation($input: SaveDeedKindInput!) { saveDeedKind(input: $input) { id name points active } }`;
export const APPOINT_SCORER = `mutation($branchId: ID!, $residentId: ID!) { appointScorer(branchId: $branchId, residentId: $residentId) { residentId personId name } }`;

/** A report's input: what was done an hour ago, of `kindId`, asking `points`. */
export function deedInput(kindId: string, photo: string, points = 2, extra: Record<string, unknown> = {}) {
  return { kindId, photoId: photo, points, title: '帮独居老人清扫积雪', description: '清晨扫雪，送老人就医', occurredAt: new Date(Date.now() - 3600_000).toISOString(), ...extra };
}
