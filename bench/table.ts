// The short summary `npm run bench` writes to stderr: a few lines a person reads; the JSON on
// stdout holds everything.

import { table } from '../lab/cli-format'

type Doc = Record<string, unknown>

/** doc at a dotted path, or undefined. */
function at(doc: Doc, path: string): unknown {
  let v: unknown = doc
  for (const k of path.split('.')) v = v && typeof v === 'object' ? (v as Doc)[k] : undefined
  return v
}

const secs = (v: unknown) => (typeof v === 'number' ? `${(v / 1000).toFixed(2)} s` : '—')
const num = (v: unknown) => (typeof v === 'number' ? String(v) : typeof v === 'string' ? v : '—')
const times = (v: unknown) => (typeof v === 'number' ? `${v}×` : '—')
const list = (v: unknown) => (Array.isArray(v) ? v.join('/') : '—')

export function summaryTable(doc: Doc): string {
  const rows: string[][] = [['figure', 'ours', 'reference pattern', 'floor', 'ratio']]
  const g = (p: string) => at(doc, p)
  if (g('headline.oursManualFailoverFirstAckMs') !== undefined || g('floor'))
    rows.push([
      'manual failover → first ack',
      secs(g('headline.oursManualFailoverFirstAckMs')),
      num(g('headline.manualFailover.referenceFirstAck')),
      secs(g('headline.floorMs')),
      `ours÷floor ${times(g('headline.failoverOverFloor'))}`,
    ])
  if (g('reference'))
    for (const [event, name] of [
      ['manualFailover', 'same event, side by side'],
      ['hubOutage', 'hub killed, side by side'],
    ] as const)
      rows.push([
        name,
        secs(g(`reference.${event}.ours.firstAckMs.median`)),
        num(g(`reference.${event}.reference.firstAckText`)),
        '',
        `ref÷ours ${g(`reference.${event}.ratioIsLowerBound`) ? '≥ ' : ''}${times(g(`reference.${event}.ratio`))}`,
      ])
  if (g('reference'))
    rows.push([
      'readings lost (manual, outage)',
      `${list(g('reference.manualFailover.ours.readingsLost'))}, ${list(g('reference.hubOutage.ours.readingsLost'))}`,
      `${list(g('reference.manualFailover.reference.readingsLost'))}, ${list(g('reference.hubOutage.reference.readingsLost'))}`,
      '',
      '',
    ])
  for (const mode of ['kill', 'blackhole'])
    if (g(`outage.${mode}`))
      rows.push([
        `outage ${mode}: detect/connect/ack`,
        [
          g(`outage.${mode}.failover.detectMs.median`),
          g(`outage.${mode}.failover.connectedMs.median`),
          g(`outage.${mode}.failover.firstAckMs.median`),
        ]
          .map(secs)
          .join(' / '),
        '',
        '',
        `failback ${secs(g(`outage.${mode}.failback.firstAckMs.median`))} after restore`,
      ])
  if (g('restart'))
    rows.push([
      'hub restart: cached hub / via DPS',
      `${secs(g('restart.cachedHub.median'))} / ${secs(g('restart.throughDps.median'))}`,
      '',
      '',
      `DPS calls ${num(g('restart.cachedHub.dpsCalls'))} / ${num(g('restart.throughDps.dpsCalls'))}`,
    ])
  for (const mode of ['session', 'groupCommit'])
    if (g(`crash.${mode}`))
      rows.push([
        `crash (${mode}): queued → delivered`,
        `${num(g(`crash.${mode}.queuedReported`))} → ${num(g(`crash.${mode}.delivered`))}`,
        '',
        '',
        `in order ${num(String(g(`crash.${mode}.allArrivedInOrder`)))}, drain ${secs(g(`crash.${mode}.drainMs`))}`,
      ])
  if (g('soak'))
    rows.push([
      'soak: missing/dup/out-of-order',
      `${num(g('soak.missing'))}/${num(g('soak.duplicates'))}/${num(g('soak.outOfOrder'))}`,
      '',
      '',
      `${num(g('soak.chaosEvents'))} events, max latency ${secs(g('soak.maxLatencyMs'))}`,
    ])
  if (g('throughput'))
    for (const [key, name] of [
      ['rawMqttJs', 'throughput raw mqtt.js 4'],
      ['engineDrain', 'throughput engine, backlog'],
      ['engineBurstGroupCommit', 'throughput engine, burst'],
      ['engineBurstOneByOne', 'throughput engine, 1 fsync each'],
    ] as const)
      rows.push([
        name,
        `${num(g(`throughput.${key}.perSecond`))} msg/s`,
        '',
        '',
        `${key === 'rawMqttJs' ? '' : `${times(g(`throughput.ratioToRaw.${key}`))} raw, `}${num(g(`throughput.${key}.cpuMsPer1000`))} CPU ms/1k, ${num(g(`throughput.${key}.peakRssMB`))} MB`,
      ])
  if (g('ui.scroll'))
    rows.push([
      'UI: longest frame scroll/filter/plot',
      [
        g('ui.scroll.longestFrameMs'),
        g('ui.filter.longestFrameMs'),
        g('ui.plotLive.longestFrameMs'),
      ]
        .map((v) => `${num(v)} ms`)
        .join(' / '),
      '',
      '',
      `heap ${num(g('ui.heapUsedMB'))} MB, ${num(g('ui.timelineEntries'))} entries`,
    ])
  for (const w of ['failover', 'failback'])
    if (g(`fleet.outage.${w}`))
      rows.push([
        `fleet ${w} wave: ${num(g(`fleet.outage.${w}.devices`))} devices, 50/95/100 %`,
        [
          g(`fleet.outage.${w}.backMs.p50`),
          g(`fleet.outage.${w}.backMs.p95`),
          g(`fleet.outage.${w}.backMs.p100`),
        ]
          .map(secs)
          .join(' / '),
        '',
        secs(g(`fleet.outage.${w}.floorMs`)),
        `p100÷floor ${times(g(`fleet.outage.${w}.p100OverFloor`))}, ${num(g(`fleet.outage.${w}.registrationsPerDevice`))} registrations each`,
      ])
  if (g('fleet.outage'))
    rows.push([
      'fleet: lost/dup, RSS and CPU per device',
      `${num(g('fleet.outage.lost'))}/${num(g('fleet.outage.duplicates'))}`,
      '',
      '',
      `${num(g('fleet.outage.rssPerDeviceKB'))} KB, ${num(g('fleet.outage.cpuPercentOfCorePerDevice'))} % of a core`,
    ])
  for (const k of ['scale', 'shards']) {
    const devices = g(`fleet.${k}.devices`)
    const missing = g(`fleet.${k}.notConnectedAtEnd`)
    if (typeof devices === 'number' && typeof missing === 'number')
      rows.push([
        `fleet ${k}: connected at the end`,
        `${devices - missing} of ${devices}`,
        '',
        '',
        `lost ${num(g(`fleet.${k}.lost`))}, ${num(g(`fleet.${k}.rssPerDeviceKB`))} KB per device`,
      ])
  }
  if (g('errors')) rows.push(['ERRORS in', Object.keys(g('errors') as Doc).join(', '), '', '', ''])
  return table(rows)
}
