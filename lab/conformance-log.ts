import { findingKinds, type Finding, type FindingKind } from './conformance'

// What the lab found in one device's traffic against its template: counts for everything, and
// only the latest few findings themselves, so a device that gets everything wrong costs the
// same as one that gets one thing wrong.

export interface RecordedFinding extends Finding {
  at: string
}

export interface ConformanceView {
  /** The `model-id` of the device's latest hub connection; null when it sent none. */
  modelId: string | null
  /** `checked`: the lab has the template; else why nothing is checked. */
  template: 'checked' | 'unknown' | 'no-model-id'
  /** In words, when nothing is checked: `no template for dtmi:…`. */
  note: string | null
  /** Messages checked: telemetry messages and reported-property patches. */
  checked: number
  findings: number
  counts: Record<FindingKind, number>
  /** The latest findings, oldest first. */
  recent: RecordedFinding[]
}

const zeroCounts = () =>
  Object.fromEntries(findingKinds.map((k) => [k, 0])) as Record<FindingKind, number>

export class ConformanceLog {
  private current: string | null = null
  private checked = 0
  private total = 0
  private counts = zeroCounts()
  private recent: RecordedFinding[] = []

  constructor(private readonly kept: number) {}

  get modelId(): string | null {
    return this.current
  }

  /** A hub connection with this model id; another template than before starts afresh. */
  connected(modelId: string | null): void {
    if (modelId === this.current) return
    this.current = modelId
    this.checked = 0
    this.total = 0
    this.counts = zeroCounts()
    this.recent = []
  }

  /** One message checked, and what was found in it. */
  record(findings: Finding[], at = new Date().toISOString()): void {
    this.checked++
    for (const f of findings) {
      this.counts[f.kind]++
      this.total++
    }
    const latest = findings.slice(-this.kept).map((f) => ({ at, ...f }))
    this.recent.push(...latest)
    if (this.recent.length > this.kept) this.recent.splice(0, this.recent.length - this.kept)
  }

  get findingCount(): number {
    return this.total
  }

  view(templateKnown: boolean): ConformanceView {
    const template = this.current === null ? 'no-model-id' : templateKnown ? 'checked' : 'unknown'
    return {
      modelId: this.current,
      template,
      note:
        template === 'no-model-id'
          ? 'the device sent no model-id on its hub connection: nothing to check against'
          : template === 'unknown'
            ? `no template for ${this.current}`
            : null,
      checked: this.checked,
      findings: this.total,
      counts: { ...this.counts },
      recent: this.recent.map((f) => ({ ...f })),
    }
  }
}
