import { CertificateVerification } from './service-certificate.service';

/** The public verification page: no script, its own small stylesheet inline-free (CSP as the statement's). */
export const CERTIFICATE_CSP = "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function certificatePage(v: CertificateVerification): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>志愿服务记录证明核验 ${escape(v.number)}</title>
<link rel="stylesheet" href="/public/statement.css">
</head>
<body>
<main class="sheet">
<header>
  <div>
    <h1>志愿服务记录证明核验</h1>
    <p class="subtitle">证明编号 ${escape(v.number)}</p>
  </div>
</header>
<section class="totals">
  <div><span>核验结果</span><strong>✓ 有效</strong></div>
  <div><span>志愿者</span><strong>${escape(v.volunteer)}</strong></div>
  <div><span>服务次数</span><strong>${v.activityCount} 次</strong></div>
  <div><span>累计时长</span><strong>${v.totalHours} 小时</strong></div>
</section>
<section>
  <h2>出具单位：${escape(v.township)}文明银行 ${escape(v.branch)}分行 · 出具日期：${escape(v.issuedOn)}</h2>
  <table>
    <thead><tr><th>日期</th><th>活动名称</th><th>时长（小时）</th></tr></thead>
    <tbody>
${v.activities.map((a) => `<tr><td>${escape(a.date)}</td><td>${escape(a.title)}</td><td>${a.hours.toFixed(1)}</td></tr>`).join('\n')}
    </tbody>
  </table>
</section>
<footer>
  <p>本页由${escape(v.township)}文明银行系统生成，内容与证明出具时的记录一致；为保护个人信息，姓名已部分隐去。请核对纸质或电子证明上的编号、活动与时长是否与本页相符。</p>
</footer>
</main>
</body>
</html>`;
}
