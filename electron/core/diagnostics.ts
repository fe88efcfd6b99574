import os from 'node:os'
import type { AppInfo } from '../../shared/contract'
import type { SessionSnapshot, TimelineEntry } from '../../shared/domain'
import type { PublicSettings } from '../../shared/settings'

export interface DiagnosticsInput {
  info: AppInfo
  settings: PublicSettings
  snapshot: SessionSnapshot | null
  timeline: TimelineEntry[]
  logTail: string[]
  lab: { dpsHost: string; hubs: { a: string; b: string }; controlUrl: string } | null
  startupProblem: string | null
}

/**
 * What a user pastes into a ticket: versions, where the device connects, its state and counters,
 * the recent timeline and log. Built from public views only (masked keys), then redacted again
 * by the caller, so no key or token can ride along.
 */
export function diagnosticsText(d: DiagnosticsInput): string {
  const s = d.settings
  const lines: string[] = [
    '# IoT Central HA device — diagnostics',
    `time        ${new Date().toISOString()}`,
    `app         ${d.info.version} (${d.info.shell} shell)`,
    `runtime     node ${process.versions.node}${process.versions['electron'] ? `, electron ${process.versions['electron']}` : ''}`,
    `system      ${process.platform} ${process.arch}, ${os.release()}`,
    `mode        ${s.mode === 'lab' ? 'embedded lab' : 'IoT Central profile'}`,
    `device      ${s.deviceId} · model ${s.modelId}`,
    `dps         ${s.provisioningHost} · scope ${s.idScope} · ${s.transport}`,
    `key         device key ${s.keyMasked || '(none)'} (${s.keyKind === 'group' ? 'derived from the group key' : 'entered as a device key'}); saved keys ${s.secretStorage.how}`,
    `profiles    ${s.profiles.map((p) => p.name).join(', ') || '(none)'}`,
  ]
  if (d.info.lab) {
    lines.push(
      `lab         ${d.info.lab.status}${d.info.lab.stoppedReason ? `: ${d.info.lab.stoppedReason}` : ''}`,
    )
    if (d.lab)
      lines.push(
        `lab hosts   control ${d.lab.controlUrl} · DPS ${d.lab.dpsHost} · hub A ${d.lab.hubs.a} · hub B ${d.lab.hubs.b}`,
      )
  }
  if (d.startupProblem) lines.push(`problem     ${d.startupProblem}`)
  if (d.info.logDir) lines.push(`logs        ${d.info.logDir}`)
  const snap = d.snapshot
  if (snap) {
    lines.push(
      `state       ${snap.state.kind}${snap.hub ? ` on ${snap.hub.label} (${snap.hub.host}, ${snap.hub.isHome ? 'home' : 'failed over'})` : ''}`,
      `home hub    ${snap.homeHub ?? '—'}`,
      `counters    ${JSON.stringify(snap.counters)}`,
      `behaviours  ${JSON.stringify(snap.behaviours)} periods ${JSON.stringify(snap.periods)}`,
    )
    if (snap.lastError) lines.push(`last error  ${snap.lastError.code}: ${snap.lastError.message}`)
  }
  lines.push('', '## Timeline (newest last)')
  for (const e of d.timeline.slice(-50))
    lines.push(
      `${new Date(e.at).toISOString()} ${e.state.padEnd(12)} ${e.hub ?? ''} ${e.mark ? `[${e.mark}${e.durationMs !== undefined ? ` ${e.durationMs} ms` : ''}] ` : ''}${e.reason}`,
    )
  lines.push('', '## Log (newest last)', ...d.logTail)
  return lines.join('\n') + '\n'
}
