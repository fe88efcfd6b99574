export interface Counts {
  passed: number
  failed: number
  skipped: number
}
export interface Step {
  name: string
  tool?: string
  script?: string
  args?: string[]
  env?: Record<string, string>
  display?: boolean
  results?: { kind: 'vitest' | 'playwright'; file: string }
}
export interface Host {
  platform: string
  env: Record<string, string | undefined>
  hasXvfbRun: boolean
  execPath: string
  root: string
}
export const resultsDir: string
export const steps: Step[]
export function stepCommand(
  step: Step,
  host: Host,
  entryOf?: (tool: string) => string | Error,
): { command: string; args: string[]; env: Record<string, string | undefined> } | Error
export function countsOf(kind: 'vitest' | 'playwright', report: unknown): Counts
export function readCounts(results: NonNullable<Step['results']>, root: string): Counts
export function addCounts(a: Counts, b: Counts): Counts
export function summaryLine(counts: Counts): string
export function displayCommand(step: Step, cmd: { command: string; args: string[] }): string
