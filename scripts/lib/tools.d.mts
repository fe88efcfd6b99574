import type { SpawnSyncOptions, SpawnSyncReturns } from 'node:child_process'

type Finished = Partial<Pick<SpawnSyncReturns<unknown>, 'status' | 'signal' | 'error'>>

export function packageDir(name: string): string | null
export function toolEntry(tool: string): string | Error
export function nodeCommand(
  entry: string,
  args: string[],
  options?: { execPath?: string; xvfb?: boolean },
): { command: string; args: string[] }
export function wantsXvfb(facts: {
  platform: string
  env: Record<string, string | undefined>
  hasXvfbRun: boolean
}): boolean
export function hasXvfbRun(): boolean
export function describeExit(label: string, result: Finished): string | null
export function exitCodeOf(result: Finished): number
export function runTool(
  tool: string,
  args: string[],
  options?: SpawnSyncOptions & { xvfb?: boolean },
): SpawnSyncReturns<Buffer>
export const repoRoot: string
