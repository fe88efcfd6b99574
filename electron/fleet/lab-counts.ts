import { oneLine } from './errors'
import { eachLimited, LabAnswer, type LabClient } from './lab-client'
import type { LabCounts, LabDps } from './report'

// Duplicates and gaps as the receiving end counted them: the lab's per-device telemetry stats.

interface Stats {
  count: number
  unique: number
  duplicates: number
  missing: number[]
}

const isStats = (s: unknown): s is Stats => {
  const x = s as Stats
  return (
    typeof x?.count === 'number' &&
    typeof x.unique === 'number' &&
    typeof x.duplicates === 'number' &&
    Array.isArray(x.missing)
  )
}

/** Per device id: its counts, or null where the lab could not say (then `problem` says why). */
export async function labCounts(
  lab: LabClient,
  ids: string[],
): Promise<{ counts: Map<string, LabCounts | null>; problem: string | null }> {
  const counts = new Map<string, LabCounts | null>()
  let problem: string | null = null
  await eachLimited(ids, 16, async (id) => {
    if (problem) return void counts.set(id, null)
    try {
      const r = await lab.call<{ stats?: unknown }>(
        'GET',
        `/devices/${encodeURIComponent(id)}/telemetry?limit=0`,
      )
      if (!isStats(r.stats)) throw new Error('the lab answered without stats')
      const { count, unique, duplicates, missing } = r.stats
      counts.set(id, { count, unique, duplicates, missing: missing.length })
    } catch (e) {
      // Never registered (the run ended before its turn): the lab received nothing from it.
      if (e instanceof LabAnswer && e.status === 404)
        return void counts.set(id, { count: 0, unique: 0, duplicates: 0, missing: 0 })
      problem = `the lab's telemetry counts could not be read: ${oneLine(e)}`
      counts.set(id, null)
    }
  })
  return { counts, problem }
}

interface Count {
  accepted: number
  throttled: number
}
const pair = (c: Count | undefined) => {
  if (typeof c?.accepted !== 'number' || typeof c.throttled !== 'number')
    throw new Error('the lab answered /stats without DPS counts')
  return { accepted: c.accepted, throttled: c.throttled }
}

/** The lab's DPS side of the story (GET /stats): registrations and polls it took and throttled. */
export async function labDpsCounts(lab: LabClient): Promise<LabDps> {
  const s = await lab.call<{ dpsRegistrations?: Count; dpsPolls?: Count }>('GET', '/stats')
  return { registrations: pair(s.dpsRegistrations), polls: pair(s.dpsPolls) }
}
