export interface SandboxFacts {
  platform: string
  uid: number
  usernsRestricted: boolean
  helper: { path: string; setuidRoot: boolean } | null
}
export function sandboxProblem(facts: SandboxFacts): string | null
export function linuxSandboxFacts(binary: string): SandboxFacts
