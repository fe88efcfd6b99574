import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { privateLabOptions, startLab } from '../../lab/index'
import type { LabHandle, LabOptions } from '../../lab/types'

/** A lab on ephemeral ports in a temp folder; stop() also removes the folder. */
export async function testLab(options: LabOptions = {}): Promise<LabHandle & { dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lab-test-'))
  const lab = await startLab({ ...privateLabOptions(dataDir), dpsRetryAfterSec: 0, ...options })
  const stop = lab.stop
  return Object.assign(lab, {
    dataDir,
    stop: async () => {
      await stop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  })
}

export async function api<T = unknown>(lab: { controlUrl: string }, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(lab.controlUrl + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as T }
}

export async function waitFor<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 15_000, everyMs = 50): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await probe()
      if (v) return v as NonNullable<T>
      last = v
    } catch (e) {
      last = e
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}
