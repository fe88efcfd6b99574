import type { SpawnSyncReturns } from 'node:child_process'

export type Purpose = 'start' | 'dev' | 'e2e'
export type DownloadResult = { ok: true } | { ok: false; reason: string }

export interface ElectronFacts {
  platform: string
  version: string
  display: boolean
  overrideDir?: string | undefined
  pathTxt: string | null
  distDir: string
  exists: (file: string) => boolean
  download?: DownloadResult | undefined
}

export type ElectronPlan =
  | { kind: 'ready'; binary: string; lines: string[] }
  | { kind: 'download'; lines: string[] }
  | { kind: 'unavailable'; reason: string; lines: string[] }

export function platformBinaryPath(platform: string): string | null
export function electronPlan(facts: ElectronFacts, purpose: Purpose): ElectronPlan
export function electronFacts(options?: {
  platform?: string
  env?: Record<string, string | undefined>
  download?: DownloadResult
}): ElectronFacts
export function downloadFailureReason(
  result: Partial<Pick<SpawnSyncReturns<string>, 'status' | 'signal' | 'error' | 'stderr'>>,
  timeoutMs: number,
): string
export function downloadElectron(options?: {
  timeoutMs?: number
  connectTimeoutMs?: number
  env?: Record<string, string | undefined>
}): DownloadResult
export function ensureElectron(options: {
  purpose: Purpose
  say?: (line: string) => void
  download?: (bounds: { timeoutMs?: number; connectTimeoutMs?: number }) => DownloadResult
  facts?: (download: DownloadResult | undefined) => ElectronFacts
  timeoutMs?: number
  connectTimeoutMs?: number
}): { binary: string; reason?: undefined } | { binary: null; reason: string }
