import { useMemo, useState } from 'react'
import { downloadText, fileStamp } from '../download'
import { duration } from '../format'
import { mapModel, type MapHub } from '../map-model'
import { failoverReportHtml } from '../report'
import { actions, useApp, useDevice, useReadOnly } from '../store'

/** Builds the failover report from what the window holds (and the lab's count, in lab mode). */
async function downloadReport(): Promise<void> {
  const { info, settings, snapshot, timeline } = useApp.getState()
  if (!info || !snapshot) return
  const lab = info.mode === 'lab' ? await actions.labStats() : null
  const html = failoverReportHtml({
    generatedAt: Date.now(),
    info,
    settings,
    snapshot,
    timeline,
    lab,
  })
  downloadText(html, `failover-report-${snapshot.deviceId}-${fileStamp()}.html`, 'text/html')
}

const W = 640
const H = 148
const dpsY = 22
const deviceY = 76
const hubY = 124

/** A hub's box: wide enough for its title (an address is long), never into its neighbour's. */
const hubMinW = 140
/** Roughly the width of a character of the 13 px semibold title. */
const titleCharW = 7.8

/** x of each hub's centre, spread over the width. */
function hubX(i: number, n: number): number {
  return Math.round((W / (n + 1)) * (i + 1))
}

/**
 * The story as a picture: DPS above, the hubs below, the device between them on the hub it is
 * connected to; each hub coloured by how the device finds it (up, refusing, silent, unreachable),
 * home marked, and the last failover or failback drawn as an arc with its duration. The device's
 * move between hubs is animated (CSS), so a failover is something you see happen.
 */
export function HubMap() {
  const snapshot = useDevice((d) => d.snapshot)
  const timeline = useDevice((d) => d.timeline)
  // The report is the single device's (its lab counts are that device's): not a fleet device's.
  const readOnly = useReadOnly()
  const model = useMemo(
    () => (snapshot ? mapModel(snapshot, timeline) : null),
    [snapshot, timeline],
  )
  const [making, setMaking] = useState(false)
  if (!model) return null
  const n = Math.max(model.hubs.length, 1)
  const xOf = (host: string | null) => {
    const i = model.hubs.findIndex((h) => h.host === host)
    return i < 0 ? W / 2 : hubX(i, n)
  }
  const deviceX = model.device.on ? xOf(model.device.on) : W / 2
  const move = model.lastMove
  const fromX = move ? xOf(move.from) : 0
  const toX = move ? xOf(move.to) : 0
  return (
    <section className="card hubmap" aria-label="Where the device is">
      <div className="card-head">
        <h2>Map</h2>
        <span className="muted small" data-testid="map-summary">
          {model.summary}
        </span>
        <span className="spacer" />
        {!readOnly && (
          <button
            type="button"
            data-testid="report-download"
            disabled={making}
            title="One HTML file with every failover and failback, the message counts and (in the lab) what the hubs received: for a ticket"
            onClick={() => {
              setMaking(true)
              void downloadReport().finally(() => setMaking(false))
            }}
          >
            {making ? 'Preparing…' : 'Failover report'}
          </button>
        )}
      </div>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        className="map"
        role="img"
        aria-label={model.summary}
        data-testid="hub-map"
        data-device-on={model.device.on ?? ''}
      >
        <g
          className={`map-node map-dps map-${model.dps}`}
          data-testid="map-dps"
          data-health={model.dps}
        >
          <rect x={W / 2 - 60} y={dpsY - 17} width="120" height="34" rx="8" />
          <text x={W / 2} y={dpsY - 1} textAnchor="middle" className="map-title">
            DPS
          </text>
          <text x={W / 2} y={dpsY + 12} textAnchor="middle" className="map-sub">
            {model.dps}
          </text>
        </g>
        {move && (
          <g
            key={move.id}
            className={`map-move map-move-${move.kind}`}
            data-testid="map-move"
            data-move={move.kind}
          >
            <path
              d={`M ${fromX} ${hubY - 22} Q ${(fromX + toX) / 2} ${deviceY - 40} ${toX} ${hubY - 22}`}
              className="map-arc"
              pathLength={1}
            />
            <text
              x={(fromX + toX) / 2}
              y={deviceY - 14}
              textAnchor="middle"
              className="map-move-label"
            >
              {move.kind}
              {move.ms !== null ? ` · ${duration(move.ms)}` : ''}
            </text>
          </g>
        )}
        {model.hubs.map((h, i) => (
          <Hub key={h.host} hub={h} x={hubX(i, n)} room={Math.floor(W / (n + 1)) - 8} />
        ))}
        <g
          className={`map-device map-device-${model.device.state}`}
          style={{ transform: `translateX(${deviceX}px)` }}
          data-testid="map-device"
          data-state={model.device.state}
        >
          {/* Drawn with the device, so the link moves with it between hubs. */}
          <line
            x1="0"
            y1={model.device.on ? deviceY + 10 : deviceY - 10}
            x2={model.device.on ? 0 : W / 2 - deviceX}
            y2={model.device.on ? hubY - 22 : dpsY + 17}
            className={model.device.on ? 'map-link' : 'map-link map-link-searching'}
          />
          <circle cx="0" cy={deviceY} r="10" />
          <text x="16" y={deviceY + 4} className="map-sub">
            {model.device.id}
          </text>
        </g>
      </svg>
    </section>
  )
}

function Hub({ hub, x, room }: { hub: MapHub; x: number; room: number }) {
  const title = `Hub ${hub.label}${hub.isHome ? ' · home' : ''}`
  const wanted = Math.ceil(title.length * titleCharW) + 20
  const width = Math.min(Math.max(hubMinW, wanted), room)
  return (
    <g
      className={`map-node map-hub map-${hub.health}${hub.isCurrent ? ' map-current' : ''}`}
      data-testid={`map-hub-${hub.label}`}
      data-health={hub.health}
      data-home={String(hub.isHome)}
      data-current={String(hub.isCurrent)}
    >
      <title>{`${hub.host}: ${hub.detail ?? hub.health}`}</title>
      <rect x={x - width / 2} y={hubY - 22} width={width} height="44" rx="8" />
      <text
        x={x}
        y={hubY - 5}
        textAnchor="middle"
        className="map-title"
        // Too long even for the room there is: squeezed to fit the box rather than spilling out.
        {...(wanted > width ? { textLength: width - 16, lengthAdjust: 'spacingAndGlyphs' } : {})}
      >
        {title}
      </text>
      <text x={x} y={hubY + 11} textAnchor="middle" className="map-sub">
        {hub.health}
      </text>
    </g>
  )
}
