/**
 * What the operator pages share: escaping, the page shell and its style, the answer's headers
 * (a strict CSP: no script, no external resource, inline style only), and the small formatters.
 */
import type { Response } from 'express';

/** Text for HTML element content and double-quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A link: the href escaped (callers percent-encode path segments), the text escaped. */
export function link(href: string, text: string, cls = ''): string {
  return `<a href="${escapeHtml(href)}"${cls ? ` class="${escapeHtml(cls)}"` : ''}>${escapeHtml(text)}</a>`;
}

/** The page of a job. */
export function jobPageHref(id: string): string {
  return `/ui/job/${encodeURIComponent(id)}`;
}

/** 1234567 → 1,234,567 */
export function grouped(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** An RFC 3339 time as `YYYY-MM-DD HH:MM:SS` (the whole in a title), '' for none. */
export function timeCell(rfc3339: string): string {
  if (rfc3339 === '') return '';
  const short = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)/.exec(rfc3339)?.[1]?.replace('T', ' ') ?? rfc3339;
  return `<time datetime="${escapeHtml(rfc3339)}" title="${escapeHtml(rfc3339)}">${escapeHtml(short)}</time>`;
}

/** ms since the epoch as `HH:MM:SS UTC` */
export function clockText(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 19)} UTC`;
}

export const STYLE = `
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}
h1{font-size:1.4rem;margin:0 0 .2rem}h2{font-size:1.1rem;margin:1.5rem 0 .4rem}h3{font-size:1rem;margin:1rem 0 .3rem}
p.meta{color:#666;margin:0 0 1rem}p.foot{color:#666;margin:1rem 0}
table{border-collapse:collapse;min-width:40rem}
th,td{border-bottom:1px solid #ddd;padding:.3rem .7rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}
td.status-running{color:#176f2c}td.status-pause{color:#8a5a00}td.status-dead{color:#a32020}
tr.failing td:first-child{border-left:4px solid #c62828}
.mark{display:inline-block;padding:0 .4rem;border-radius:.6rem;font-size:.85em;font-weight:600}
.mark.paused{background:#fff1c7;color:#6b4a00;border:1px solid #e0c060}
.mark.failing{background:#fde8e8;color:#8f1a1a;border:1px solid #e4a0a0}
progress{width:9rem;height:.9rem;vertical-align:middle}
.rows,.moved,.eta,.from{color:#555;font-size:.9em}
.gtid,.binlog,code,pre{font-family:ui-monospace,monospace;font-size:.9em}
ul.tasks{list-style:none;margin:0;padding:0}ul.tasks li{margin:0 0 .2rem}
.health-running{color:#176f2c}.health-failed,.health-lost{color:#a32020}.health-restarting{color:#b05a00}.health-pending{color:#666}
.error-text{display:block;color:#8f1a1a;font-family:ui-monospace,monospace;font-size:.85em;white-space:pre-wrap;max-width:38rem}
tr.event-error td{background:#fdf0f0}
.banner{background:#fff4e0;border:1px solid #e8b860;padding:.5rem .7rem;margin:0 0 1rem}
.error{background:#fde8e8;border:1px solid #e4a0a0;padding:.6rem;white-space:pre-wrap}
nav.filters{margin:0 0 .6rem}nav.filters a.current{font-weight:700;text-decoration:none;color:#222}
pre.json{background:#f7f7f7;border:1px solid #ddd;padding:.6rem;max-width:60rem;overflow:auto}
a{margin-right:.6rem}
`;

export function page(title: string, refreshSeconds: number, body: string): string {
  const refresh = refreshSeconds > 0 ? `<meta http-equiv="refresh" content="${refreshSeconds}">\n` : '';
  return (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    refresh +
    `<title>${escapeHtml(title)}</title>\n<style>${STYLE}</style>\n</head>\n<body>\n${body}</body>\n</html>\n`
  );
}

export function td(text: string, cls?: string): string {
  return `<td${cls ? ` class="${escapeHtml(cls)}"` : ''}>${escapeHtml(text)}</td>`;
}

export function refreshText(seconds: number): string {
  return seconds > 0 ? `refreshed every ${seconds} s` : 'not refreshed';
}

export const CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export function sendHtml(res: Response, status: number, html: string): void {
  res.status(status);
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', CSP);
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.end(html);
}
