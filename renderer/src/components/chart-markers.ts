import type uPlot from 'uplot'

// The event lines both charts draw (failovers on the plot, the lab's events on the fleet's wave
// chart): a dashed line at each, and its label where there is room, so a gap reads against its
// cause. The list under each chart names every one anyway.

export interface DrawnMarker {
  at: number
  label: string
  color: string
}

export const chartFont = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif'

/** Draws `markers` on `u`'s canvas; a label only `labelGap` CSS pixels after the last one. */
export function drawMarkers(u: uPlot, markers: readonly DrawnMarker[], labelGap: number): void {
  const { ctx, bbox } = u
  const ratio = bbox.width / Math.max(1, u.over.clientWidth || bbox.width)
  ctx.save()
  ctx.font = chartFont.replace('11px', `${Math.round(10 * ratio)}px`)
  ctx.textBaseline = 'top'
  let lastLabelX = -Infinity
  for (const m of markers) {
    const x = u.valToPos(m.at, 'x', true)
    if (x < bbox.left || x > bbox.left + bbox.width) continue
    ctx.strokeStyle = ctx.fillStyle = m.color
    ctx.lineWidth = ratio
    ctx.setLineDash([4 * ratio, 3 * ratio])
    ctx.beginPath()
    ctx.moveTo(Math.round(x) + 0.5, bbox.top)
    ctx.lineTo(Math.round(x) + 0.5, bbox.top + bbox.height)
    ctx.stroke()
    if (x - lastLabelX > labelGap * ratio) {
      ctx.fillText(m.label, x + 3 * ratio, bbox.top + 2 * ratio)
      lastLabelX = x
    }
  }
  ctx.restore()
}
