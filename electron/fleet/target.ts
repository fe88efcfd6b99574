import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import type { Transport } from '../../shared/domain'
import { base64KeySchema, caSchema, maxCaChars } from '../../shared/settings'
import { type EmbeddedLab, type LabDelays, startEmbeddedLab } from './embedded-lab'
import { RunError, UsageError } from './errors'
import type { FleetTarget } from './fleet'
import { fleetLimits } from './limits'
import { LabClient } from './lab-client'
import type { FleetMeta } from './report'

// Where the devices go: the embedded lab (started here), a running lab (--lab-url), or an IoT
// Central application (--id-scope). The group key comes from the lab, FLEET_GROUP_KEY or a key
// file; it is never printed, logged or reported.

export const groupKeyEnv = 'FLEET_GROUP_KEY'
export const defaultDpsHost = 'global.azure-devices-provisioning.net'

export type TargetChoice =
  | { kind: 'embedded'; delays: LabDelays }
  | { kind: 'lab'; url: string; caFile: string | null; groupKeyFile: string | null }
  | {
      kind: 'iot-central'
      idScope: string
      dpsHost: string
      caFile: string | null
      groupKeyFile: string | null
    }

export interface ResolvedTarget {
  target: FleetTarget
  /** The lab's control API, when there is a lab. */
  lab: LabClient | null
  /** The lab this run started (and stops), if it did. */
  embedded: EmbeddedLab | null
  meta: FleetMeta['target']
  /** Hub labels → hosts. */
  hubs: Record<string, string>
}

function readSmallFile(path: string, max: number, what: string): string {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new UsageError(
      `${what} ${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
    )
  }
  try {
    const st = fstatSync(fd)
    if (!st.isFile()) throw new UsageError(`${what} ${path}: not a regular file`)
    if (st.size > max) throw new UsageError(`${what} ${path}: larger than ${max} bytes`)
    const buf = Buffer.alloc(st.size)
    const n = st.size ? readSync(fd, buf, 0, st.size, 0) : 0
    return buf.subarray(0, n).toString('utf8')
  } finally {
    closeSync(fd)
  }
}

/** The group key from a file or the environment, checked (the message never holds the key). */
export function readGroupKey(file: string | null, env: NodeJS.ProcessEnv, needed: string): string {
  const raw = file
    ? readSmallFile(file, fleetLimits.maxKeyFileBytes, '--group-key-file')
    : env[groupKeyEnv]
  if (raw === undefined || raw.trim() === '')
    throw new UsageError(
      `${needed} needs the group key: set ${groupKeyEnv} or give --group-key-file FILE`,
    )
  const key = raw.trim()
  const r = base64KeySchema.safeParse(key)
  if (!r.success)
    throw new UsageError(
      `the group key (${file ? `--group-key-file ${file}` : groupKeyEnv}): ${r.error.issues[0]?.message ?? 'not a key'}`,
    )
  return key
}

function readCa(path: string, what: string): string {
  const text = readSmallFile(path, maxCaChars, what)
  if (!caSchema.safeParse(text).success || text.trim() === '')
    throw new UsageError(`${what} ${path}: not a PEM certificate (-----BEGIN CERTIFICATE----- …)`)
  return text
}

interface LabView {
  idScope: string
  dpsHost: string
  caPath: string
  hubs: { a: { host: string }; b: { host: string } }
}

function isLabView(v: unknown): v is LabView {
  const l = v as LabView
  return (
    typeof l?.idScope === 'string' &&
    typeof l.dpsHost === 'string' &&
    typeof l.caPath === 'string' &&
    typeof l.hubs?.a?.host === 'string' &&
    typeof l.hubs?.b?.host === 'string'
  )
}

const labLabels = (a: string, b: string) => ({ [a]: 'A', [b]: 'B' })

export async function resolveTarget(
  choice: TargetChoice,
  o: { transport: Transport; tempDir: string; env: NodeJS.ProcessEnv; log: (line: string) => void },
): Promise<ResolvedTarget> {
  if (choice.kind === 'embedded') {
    const embedded = await startEmbeddedLab(o.tempDir, choice.delays, o.log)
    const f = embedded.facts
    return {
      target: {
        kind: 'lab',
        idScope: f.idScope,
        groupKey: f.groupPrimaryKey,
        provisioningHost: f.dpsHost,
        ca: f.ca,
        hubLabels: labLabels(f.hubs.a.host, f.hubs.b.host),
        transport: o.transport,
      },
      lab: new LabClient(f.controlUrl),
      embedded,
      meta: { kind: 'lab', idScope: f.idScope, dpsHost: f.dpsHost, labUrl: f.controlUrl },
      hubs: { A: f.hubs.a.host, B: f.hubs.b.host },
    }
  }
  if (choice.kind === 'lab') {
    const groupKey = readGroupKey(choice.groupKeyFile, o.env, '--lab-url')
    const lab = new LabClient(choice.url)
    const view = await lab.call<unknown>('GET', '/lab')
    if (!isLabView(view))
      throw new RunError(`${choice.url}/lab: not a lab's answer: is --lab-url a lab?`)
    const ca = readCa(choice.caFile ?? view.caPath, choice.caFile ? '--ca' : "the lab's CA")
    return {
      target: {
        kind: 'lab',
        idScope: view.idScope,
        groupKey,
        provisioningHost: view.dpsHost,
        ca,
        hubLabels: labLabels(view.hubs.a.host, view.hubs.b.host),
        transport: o.transport,
      },
      lab,
      embedded: null,
      meta: { kind: 'lab', idScope: view.idScope, dpsHost: view.dpsHost, labUrl: choice.url },
      hubs: { A: view.hubs.a.host, B: view.hubs.b.host },
    }
  }
  const groupKey = readGroupKey(choice.groupKeyFile, o.env, '--id-scope')
  return {
    target: {
      kind: 'iot-central',
      idScope: choice.idScope,
      groupKey,
      provisioningHost: choice.dpsHost,
      ca: choice.caFile ? readCa(choice.caFile, '--ca') : undefined,
      hubLabels: {},
      transport: o.transport,
    },
    lab: null,
    embedded: null,
    meta: { kind: 'iot-central', idScope: choice.idScope, dpsHost: choice.dpsHost, labUrl: null },
    hubs: {},
  }
}
