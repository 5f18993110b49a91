import QRCode from 'qrcode';
import { PublicStatement } from './public-statement.service';

/**
 * The printable statement: one A4 sheet for the notice board (a village's month fits;
 * a very long list of residents continues on a second sheet). No script anywhere, the
 * stylesheet is its own route and the QR code is inline SVG, so the page is served with
 * a Content-Security-Policy that allows nothing else (STATEMENT_CSP).
 */
export const STATEMENT_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export async function statementPage(s: PublicStatement, pageUrl: string): Promise<string> {
  const qr = await QRCode.toString(pageUrl, { type: 'svg', margin: 0, errorCorrectionLevel: 'M' });
  const [year, month] = s.month.split('-').map(Number);
  const title = `${s.township}文明银行 ${s.branch} ${year}年${month}月积分公示`;
  const table = <T>(title: string, headers: string[], items: T[], empty: string, cells: (item: T) => (string | number)[]) => `<section>
  <h2>${title}</h2>
  <table>
    <thead><tr>${headers.map((h) => `<th>${h}</th>`).join('')}</tr></thead>
    <tbody>
${items.length ? items.map((item) => `<tr>${cells(item).map((c) => `<td>${escape(String(c))}</td>`).join('')}</tr>`).join('\n') : `<tr><td colspan="${headers.length}" class="empty">${empty}</td></tr>`}
    </tbody>
  </table>
</section>`;
  const residents = s.residents.reduce((n, r) => n + (r.earned > 0 ? 1 : 0), 0);
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title>
<link rel="stylesheet" href="/public/statement.css">
</head>
<body>
<main class="sheet">
<header>
  <div>
    <h1>${escape(s.township)}文明银行 · ${escape(s.branch)}</h1>
    <p class="subtitle">${year}年${month}月 积分收支公示（三务公开）</p>
  </div>
  <figure class="qr">${qr}<figcaption>扫码查看本页</figcaption></figure>
</header>

<section class="totals">
  <div><span>发放积分</span><strong>${s.pointsMinted}</strong></div>
  <div><span>兑换积分</span><strong>${s.pointsSpent}</strong></div>
  <div><span>净发放</span><strong>${s.pointsMinted - s.pointsSpent}</strong></div>
  <div><span>过期清零</span><strong>${s.pointsExpired}</strong></div>
  <div><span>获得积分的居民</span><strong>${residents} 人</strong></div>
</section>

<section class="stars">
  <h2>文明之星</h2>
  <ol>
${s.stars.length ? s.stars.map((r) => `<li><span class="rank">${r.rank}</span><span>${escape(r.name)}</span><span>${r.points} 分</span></li>`).join('\n') : '<li class="empty">本月没有居民获得积分</li>'}
  </ol>
  <p class="note">本村（社区）居民本月获得积分（活动奖励，扣除冲正；兑换不减）最多的前几名；同分者先获得积分的在前。</p>
</section>

${table('志愿服务活动', ['日期', '活动', '参加人数', '发放积分'], s.activities, '本月没有发放积分的活动', (a) => [a.date, a.title, a.attendees, a.points])}

${table('体验课程', ['日期', '课程', '报名人数', '兑换积分'], s.courses, '本月没有兑换积分的课程', (c) => [c.date, c.title, c.seatsTaken, c.points])}

${table('积分超市 · 本月收到的捐赠', ['日期', '捐赠方', '物品', '数量', '积分价值'], s.shop.donations, '本月没有收到捐赠', (d) => [d.date, d.donor, d.item, `${d.quantity}${d.unit}`, d.points])}

${table('积分超市 · 兑换与库存', ['物品', '本月兑换', '兑换积分', '月末库存'], s.shop.goods, '积分超市本月没有商品', (g) => [g.item, `${g.redeemed}${g.unit}`, g.points, `${g.stockLeft}${g.unit}`])}

<section>
  <h2>居民积分明细（获得 / 兑换）</h2>
  <ol class="residents">
${s.residents.length ? s.residents.map((r) => `<li><span>${escape(r.name)}</span><span>${r.earned} / ${r.spent}</span></li>`).join('\n') : '<li class="empty">本月没有居民积分变动</li>'}
  </ol>
  <p class="note">姓名只显示首尾字（两个字的只显示姓），不公开手机号、身份证号和账户。居民的获得、兑换合计等于上面的发放、兑换积分；过期清零是全镇每年到期清零时本村（社区）居民被清零的积分，不计入发放、兑换和明细。</p>
</section>

<section class="seal">
  <h2>账本封存值</h2>
  <dl>
    <dt>${year}年${month}月封存值</dt><dd><code>${groups(s.seal.seal)}</code></dd>
    <dt>${s.previousMonth ? `上月（${s.previousMonth}）封存值` : '上月封存值（本镇首次封存，为全零）'}</dt><dd><code>${groups(s.seal.previousSeal)}</code></dd>
    <dt>本月默克尔根</dt><dd><code>${groups(s.seal.merkleRoot)}</code></dd>
    <dt>封存范围</dt><dd>全镇本月 ${s.seal.entryCount} 笔记账，${shanghaiTime(s.seal.sealedAt)} 结算时封存</dd>
  </dl>
</section>

<section class="howto">
  <h2>怎样核对账本没有被改过</h2>
  <ol>
    <li>请把上面的“封存值”拍照或抄下保存。它是用本月全镇每一笔记账算出来的一串数字；事后只要有一笔被改动、删除或补录，算出来就不一样了。</li>
    <li>下个月公示的“上月封存值”必须和这里的本月封存值一字不差。每个月的封存值都连着上个月的，所以改动任何一个月，以后每个月都对不上。</li>
    <li>居民可以在文明银行“我的存折”里打开已封存的月份，点任一笔记录的“验证”：手机用这笔记录和一组“证明路径”重新算出封存值，请与本页对照。</li>
    <li>懂电脑的人可以自己算（SHA-256）：每笔记录的叶子 = SHA-256(0x00 + 记录原文)；两两向上合并 = SHA-256(0x01 + 左 + 右)，最上面就是默克尔根；本月封存值 = SHA-256(上月封存值 + 默克尔根)。也可以运行 <code>npm run cli -- verify-proof --file 证明.json --seal 本月封存值</code>。比对时忽略空格。</li>
  </ol>
</section>

<footer>数据来自 ${escape(s.township)} 文明银行 ${year}年${month}月结算（${shanghaiTime(s.settledAt)}）。本页网址：${escape(pageUrl)}</footer>
</main>
</body>
</html>
`;
}

/** The page's stylesheet, served at /public/statement.css (no inline style: the CSP allows none). */
export const STATEMENT_CSS = `
@page { size: A4; margin: 10mm; }
* { box-sizing: border-box; }
body { margin: 0; font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif;
       font-size: 9.5pt; color: #111; background: #f2f2f2; }
.sheet { max-width: 190mm; margin: 0 auto; padding: 6mm; background: #fff; }
header { display: flex; justify-content: space-between; align-items: flex-start; border-bottom: 2px solid #b71c1c; padding-bottom: 3mm; }
h1 { margin: 0; font-size: 16pt; color: #b71c1c; }
.subtitle { margin: 1mm 0 0; font-size: 12pt; }
.qr { margin: 0; width: 24mm; text-align: center; font-size: 7pt; }
.qr svg { width: 24mm; height: 24mm; display: block; }
h2 { font-size: 10.5pt; margin: 3mm 0 1mm; border-left: 3px solid #b71c1c; padding-left: 2mm; }
.totals { display: flex; gap: 3mm; margin-top: 2.5mm; }
.totals div { flex: 1; border: 1px solid #ddd; padding: 1.2mm; text-align: center; }
.totals span { display: block; font-size: 9pt; color: #555; }
.totals strong { font-size: 13pt; }
table { width: 100%; border-collapse: collapse; font-size: 8.5pt; }
th, td { border: 1px solid #ccc; padding: 0.4mm 1.5mm; text-align: left; }
th { background: #f6e7e7; }
td:nth-child(n+3), th:nth-child(n+3) { text-align: right; }
.residents { columns: 4; column-gap: 4mm; margin: 0; padding: 0; list-style: none; font-size: 8.5pt; }
.residents li { display: flex; justify-content: space-between; border-bottom: 1px dotted #ccc; padding: 0.2mm 0; break-inside: avoid; }
.stars ol { display: grid; grid-template-columns: repeat(5, 1fr); gap: 0.6mm 3mm; margin: 0; padding: 0; list-style: none; font-size: 9pt; }
.stars li { display: flex; gap: 1.5mm; align-items: baseline; border-bottom: 1px dotted #e0b4b4; padding: 0.2mm 0; }
.stars li span:last-child { margin-left: auto; color: #b71c1c; }
.stars .rank { display: inline-block; min-width: 4mm; text-align: center; background: #b71c1c; color: #fff; border-radius: 1mm; font-size: 7.5pt; }
.stars li.empty { display: block; grid-column: 1 / -1; }
.stars li span { white-space: nowrap; }
@media screen and (max-width: 600px) { .stars ol { grid-template-columns: repeat(2, 1fr); } }
.empty { color: #777; text-align: center !important; }
.note, footer { font-size: 8pt; color: #555; }
.seal dl { display: grid; grid-template-columns: 36mm 1fr; gap: 0.6mm 3mm; margin: 0; font-size: 8.5pt; }
.seal dt { color: #555; }
.seal dd { margin: 0; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 8.5pt; word-break: break-all; }
.howto ol { margin: 0; padding-left: 5mm; font-size: 8pt; }
.howto li { margin-bottom: 0.5mm; }
footer { margin-top: 2mm; border-top: 1px solid #ddd; padding-top: 1.5mm; word-break: break-all; }
@media print { body { background: #fff; } .sheet { padding: 0; max-width: none; } }
`;

/** A hash in groups of four, easier to compare by eye. */
function groups(hex: string): string {
  return hex.replace(/(.{4})(?=.)/g, '$1 ');
}

function shanghaiTime(at: Date): string {
  return new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', dateStyle: 'medium', timeStyle: 'short', hour12: false }).format(new Date(at));
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
