import type { Check } from './checks'
import { thresholdRows } from './thresholds'

// The scorecard in the forms people use it: a terminal table, JSON for tools, JUnit XML for a
// device team's CI, and one self-contained HTML page to keep or send.

export interface ExamResult {
  deviceId: string
  startedAt: string
  endedAt: string
  verdict: 'pass' | 'warn' | 'fail'
  counts: { pass: number; warn: number; fail: number }
  checks: Check[]
}

export function result(
  deviceId: string,
  startedAt: number,
  endedAt: number,
  checks: Check[],
): ExamResult {
  const counts = { pass: 0, warn: 0, fail: 0 }
  for (const c of checks) counts[c.status]++
  return {
    deviceId,
    startedAt: new Date(startedAt).toISOString(),
    endedAt: new Date(endedAt).toISOString(),
    verdict: counts.fail ? 'fail' : counts.warn ? 'warn' : 'pass',
    counts,
    checks,
  }
}

const mark = { pass: 'PASS', warn: 'WARN', fail: 'FAIL' } as const

/** A plain table that fits a terminal: status, check, figure, then why on the same row. */
export function table(r: ExamResult, width = 120): string {
  const idW = Math.min(32, Math.max(...r.checks.map((c) => c.id.length), 5))
  const figW = Math.min(34, Math.max(...r.checks.map((c) => c.figure.length), 6))
  const whyW = Math.max(30, width - idW - figW - 10)
  const lines = [
    `Is ${r.deviceId} ready for the lizard? ${mark[r.verdict]} — ${r.counts.pass} passed, ${r.counts.warn} warnings, ${r.counts.fail} failed`,
    '',
    `${'    '} ${'check'.padEnd(idW)}  ${'figure'.padEnd(figW)}  why`,
  ]
  for (const c of r.checks) {
    const why = wrap(c.why, whyW)
    lines.push(
      `${mark[c.status]} ${c.id.padEnd(idW)}  ${c.figure.slice(0, figW).padEnd(figW)}  ${why[0] ?? ''}`,
    )
    for (const more of why.slice(1)) lines.push(`${' '.repeat(5 + idW + 2 + figW + 2)}${more}`)
  }
  return lines.join('\n')
}

function wrap(text: string, width: number): string[] {
  const out: string[] = []
  let line = ''
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line)
      line = word
    } else line = line ? `${line} ${word}` : word
  }
  if (line) out.push(line)
  return out
}

const xml = (s: string) =>
  s
    .replace(
      /[&<>"']/g,
      (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
    )
    // XML 1.0 cannot carry most control characters, even escaped.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '')

/** JUnit XML: one test case per check; a fail is a failure, a warning passes with its text. */
export function junit(r: ExamResult): string {
  const cases = r.checks.map((c) => {
    const name = xml(c.id)
    const body =
      c.status === 'fail'
        ? `<failure message="${xml(c.figure)}">${xml(c.why)}</failure>`
        : `<system-out>${xml(`${c.status}: ${c.figure} — ${c.why}`)}</system-out>`
    return `    <testcase classname="lizard.exam.${xml(r.deviceId)}" name="${name}">${body}</testcase>`
  })
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="lizard exam" tests="${r.checks.length}" failures="${r.counts.fail}">`,
    `  <testsuite name="${xml(r.deviceId)}" tests="${r.checks.length}" failures="${r.counts.fail}" timestamp="${r.startedAt}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n')
}

const html = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  )

/** One page, no scripts, no outside resources: safe to open from anywhere and to mail. */
export function htmlReport(r: ExamResult): string {
  const rows = r.checks
    .map(
      (c) =>
        `<tr class="${c.status}"><td>${mark[c.status]}</td><td><code>${html(c.id)}</code></td><td>${html(c.figure)}</td><td>${html(c.why)}</td></tr>`,
    )
    .join('\n')
  const limits = thresholdRows()
    .map(
      (t) =>
        `<tr><td>${html(t.what)}</td><td>${html(t.pass)}</td><td>${html(t.warn)}</td><td><code>${html(t.checks)}</code></td></tr>`,
    )
    .join('\n')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Lizard exam: ${html(r.deviceId)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1b1f24}
h1{font-size:1.4rem} table{border-collapse:collapse;width:100%;margin:1rem 0}
td,th{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
tr.pass td:first-child{color:#11632a;font-weight:600} tr.warn td:first-child{color:#8a5a00;font-weight:600}
tr.fail td:first-child{color:#a0111f;font-weight:600} .verdict{font-size:1.1rem;font-weight:600}
</style></head><body>
<h1>Is <code>${html(r.deviceId)}</code> ready for the lizard?</h1>
<p class="verdict">${mark[r.verdict]} — ${r.counts.pass} passed, ${r.counts.warn} warnings, ${r.counts.fail} failed</p>
<p>Examined ${html(r.startedAt)} – ${html(r.endedAt)} by <code>lizard exam</code>, from what the lab saw on the wire.</p>
<table><thead><tr><th></th><th>check</th><th>figure</th><th>why</th></tr></thead><tbody>
${rows}
</tbody></table>
<h2>Thresholds</h2>
<table><thead><tr><th>figure</th><th>pass</th><th>warn</th><th>checks</th></tr></thead><tbody>
${limits}
</tbody></table>
</body></html>
`
}
