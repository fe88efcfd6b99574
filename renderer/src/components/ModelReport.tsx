import type { ReactNode } from 'react'
import type { Aside, ModelProblem, ModelReport } from '../../../shared/dtdl/types'
import type { TemplateLoad } from '../store'

/** The built-in template's report names its source so (shared/dtdl's modelReport). */
export const isBuiltIn = (r: ModelReport) => /\(built in\)$/.test(r.source)

export function countsText(r: ModelReport): string {
  const c = r.counts
  if (!c) return ''
  return [
    `${c.telemetry} telemetry`,
    `${c.properties} properties (${c.writable} writable)`,
    `${c.commands} commands`,
    `${c.components} components`,
  ].join(' · ')
}

const problemText = (p: ModelProblem) => `${p.file} ${p.path}: ${p.message}`

/** A template that loaded: what it is, what it holds, and what of it the device does not do. */
export function ModelFacts({ report }: { report: ModelReport }) {
  return (
    <div className="model-facts" data-testid="template-report">
      <dl className="facts">
        <dt>name</dt>
        <dd data-testid="template-name">{report.displayName ?? '—'}</dd>
        <dt>DTMI</dt>
        <dd className="mono" data-testid="template-dtmi" title={report.modelId ?? undefined}>
          {report.modelId ?? '—'}
        </dd>
        <dt>from</dt>
        <dd data-testid="template-source" title={report.source}>
          {isBuiltIn(report) ? 'built in (failover.json)' : report.source}
        </dd>
        <dt>holds</dt>
        <dd data-testid="template-counts">{countsText(report)}</dd>
      </dl>
      <ProblemList title="Warnings" items={report.warnings.map(problemText)} testId="warnings" />
      <AsideList
        title="Left to IoT Central (not the device's job)"
        items={report.leftToCloud}
        testId="left-to-cloud"
      />
      <AsideList title="Not emulated" items={report.notEmulated} testId="not-emulated" />
    </div>
  )
}

/** A folded list of what loading said; each item is its text, and a tooltip with its place. */
function FoldedList({
  title,
  items,
  testId,
}: {
  title: string
  items: { text: ReactNode; title?: string }[]
  testId: string
}) {
  if (items.length === 0) return null
  return (
    <details className="model-list" data-testid={`template-${testId}`}>
      <summary>
        {title} ({items.length})
      </summary>
      <ul tabIndex={0} aria-label={title}>
        {items.map((t, i) => (
          <li key={i} title={t.title}>
            {t.text}
          </li>
        ))}
      </ul>
    </details>
  )
}

function ProblemList({ title, items, testId }: { title: string; items: string[]; testId: string }) {
  return <FoldedList title={title} items={items.map((text) => ({ text }))} testId={testId} />
}

function AsideList({ title, items, testId }: { title: string; items: Aside[]; testId: string }) {
  return (
    <FoldedList
      title={title}
      testId={testId}
      items={items.map((a) => ({
        title: a.path,
        text: (
          <>
            <span className="mono">{a.what}</span>: {a.why}
          </>
        ),
      }))}
    />
  )
}

/**
 * What a load came to: on a refusal every problem with its place (the device keeps its model),
 * on success the new template in a line; and any file that was not sent.
 */
export function LoadOutcome({ load }: { load: TemplateLoad }) {
  const r = load.report
  return (
    <>
      {load.error && (
        <div className="banner banner-bad" role="alert" data-testid="template-error">
          {load.error}
        </div>
      )}
      {r && !r.loaded && (
        <div
          className="banner banner-bad template-problems"
          role="alert"
          data-testid="template-problems"
        >
          <strong>
            {r.source} was not loaded ({r.problems.length} problem
            {r.problems.length === 1 ? '' : 's'}); the device keeps its template.
          </strong>
          {/* Focusable: a long list scrolls, and the keyboard must reach it too. */}
          <ul tabIndex={0} aria-label="Problems">
            {r.problems.map((p, i) => (
              <li key={i} data-testid="template-problem">
                <span className="mono">
                  {p.file} {p.path}
                </span>
                : {p.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      {r?.loaded && (
        <p className="banner banner-info" role="status" data-testid="template-loaded">
          {isBuiltIn(r) ? 'Back on the built-in template' : 'Loaded'}: {r.displayName} ({r.modelId}
          ), {countsText(r)}
          {r.warnings.length ? `; ${r.warnings.length} warning(s)` : ''}.
        </p>
      )}
      {load.skipped.length > 0 && (
        <div className="banner banner-warn" data-testid="template-skipped">
          <span>Not sent:</span>
          <ul tabIndex={0} aria-label="Files not sent">
            {load.skipped.map((s, i) => (
              <li key={i}>{s}</li>
            ))}
          </ul>
        </div>
      )}
    </>
  )
}
