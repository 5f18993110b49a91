import { readFileSync } from 'node:fs';
import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import { hoursOf } from '../activities/dto/service-hours.models';
import { ServiceCertificate } from './service-certificate.entity';

/** The time a certificate is dated with, in Asia/Shanghai: 2026年11月30日. */
export function chineseDate(at: Date): string {
  const d = new Date(at.getTime() + 8 * 3600_000);
  return `${d.getUTCFullYear()}年${d.getUTCMonth() + 1}月${d.getUTCDate()}日`;
}

const A4 = { width: 595.28, height: 841.89 };

/** The font file, read once per process (a CJK collection is megabytes). */
const fonts = new Map<string, Buffer>();
const fontFile = (path: string) => fonts.get(path) ?? fonts.set(path, readFileSync(path)).get(path)!;
const MARGIN = 56;

/**
 * The 志愿服务记录证明 as a PDF (A4): the volunteer, the issuing branch and township, every
 * activity with its date and hours, the total, the number and the verification address
 * (also as a QR code). The Chinese font is embedded as a subset (pdfkit embeds the glyphs
 * used), so the PDF reads the same on a machine without that font.
 */
export async function certificatePdf(c: ServiceCertificate, verifyUrl: string, fontPath: string): Promise<Buffer> {
  const qr = await QRCode.toBuffer(verifyUrl, { type: 'png', margin: 0, width: 240, errorCorrectionLevel: 'M' });
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    info: { Title: `志愿服务记录证明 ${c.number}`, Author: `${c.townshipName}文明银行`, Subject: c.residentName, CreationDate: c.issuedAt },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  // Debian's WenQuanYi collection names its face; a plain .ttf/.otf file has one.
  doc.registerFont('cjk', fontFile(fontPath), fontPath.toLowerCase().endsWith('.ttc') ? 'WenQuanYiMicroHei' : undefined);
  doc.font('cjk');
  const width = A4.width - 2 * MARGIN;

  doc.fontSize(24).text('志愿服务记录证明', MARGIN, MARGIN + 10, { width, align: 'center', characterSpacing: 4 });
  doc.moveDown(0.3).fontSize(10).fillColor('#555').text(`证明编号：${c.number}`, { width, align: 'center' }).fillColor('#000');
  doc.moveDown(1.2).fontSize(12);
  const totalHours = hoursOf(c.totalMinutes);
  doc.text(
    `兹证明 ${c.residentName}（${c.townshipName}${c.branchName}居民）通过${c.townshipName}文明银行${c.branchName}分行参加志愿服务，` +
      `截至${chineseDate(c.issuedAt)}，经记录的志愿服务共 ${c.records.length} 次，累计服务时长 ${totalHours} 小时。明细如下：`,
    { width, lineGap: 4 },
  );

  // The table: 序号 · 日期 · 活动 · 时长（小时）
  const columns = [
    { title: '序号', width: 40, align: 'center' as const },
    { title: '日期', width: 90, align: 'center' as const },
    { title: '活动名称', width: width - 40 - 90 - 80, align: 'left' as const },
    { title: '时长（小时）', width: 80, align: 'right' as const },
  ];
  const row = (cells: string[], y: number, bold = false) => {
    let x = MARGIN;
    const heights = cells.map((cell, i) => doc.heightOfString(cell, { width: columns[i].width - 8 }));
    const height = Math.max(...heights) + 8;
    if (bold) doc.rect(MARGIN, y, width, height).fill('#f1f1f1').fillColor('#000');
    cells.forEach((cell, i) => {
      doc.text(cell, x + 4, y + 4, { width: columns[i].width - 8, align: columns[i].align });
      x += columns[i].width;
    });
    doc.moveTo(MARGIN, y + height).lineTo(MARGIN + width, y + height).lineWidth(0.5).strokeColor('#999').stroke();
    return y + height;
  };
  doc.fontSize(10.5);
  let y = doc.y + 14;
  const header = () => (y = row(columns.map((col) => col.title), y, true));
  header();
  c.records.forEach((r, i) => {
    if (y > A4.height - MARGIN - 60) {
      doc.addPage();
      y = MARGIN;
      header();
    }
    y = row([String(i + 1), r.date, r.title, hoursOf(r.minutes).toFixed(1)], y);
  });
  y = row(['', '', `合计（${c.records.length} 次）`, totalHours.toFixed(1)], y, true);

  // The issuer, the date, how to verify.
  if (y > A4.height - MARGIN - 200) {
    doc.addPage();
    y = MARGIN;
  }
  y += 24;
  const qrSize = 96;
  doc.image(qr, MARGIN, y, { width: qrSize, height: qrSize });
  const textX = MARGIN + qrSize + 16;
  const textWidth = width - qrSize - 16;
  doc.fontSize(10.5).text('扫码或打开以下网址核验本证明（无需登录）：', textX, y, { width: textWidth });
  doc.fontSize(9.5).fillColor('#1a4fa0').text(verifyUrl, { width: textWidth, link: verifyUrl }).fillColor('#000');
  doc.moveDown(0.5).fontSize(10.5).text(`证明编号：${c.number}`, { width: textWidth });
  y = Math.max(doc.y, y + qrSize) + 28;
  doc.fontSize(12).text(`出具单位：${c.townshipName}文明银行（总行）${c.branchName}分行`, MARGIN, y, { width, align: 'right' });
  doc.moveDown(0.4).text(`出具日期：${chineseDate(c.issuedAt)}`, { width, align: 'right' });
  doc.moveDown(2).fontSize(9).fillColor('#666').text(
    '说明：本证明依据《志愿服务记录与证明出具办法（试行）》免费出具。服务时长以签到至签退计算，不超过活动时长；' +
      '未签退的以活动结束时间计。服务时长与积分分别记录，积分消费不影响服务时长。',
    MARGIN,
    doc.y,
    { width, lineGap: 2 },
  );
  doc.end();
  return done;
}
