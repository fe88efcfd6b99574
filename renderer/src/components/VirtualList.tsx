import { useEffect, useLayoutEffect, useRef, useState, type ReactNode } from 'react'

interface Props {
  count: number
  rowHeight: number
  renderRow: (index: number) => ReactNode
  /** Rows rendered above and below the visible ones. */
  overscan?: number
  className?: string
  testId?: string
  /** What the list holds, for screen readers (it is a focusable, scrollable region). */
  label?: string
  empty?: ReactNode
  /**
   * For lists whose new items arrive at the top (newest first): the key of the item at index 0,
   * and where an earlier key is now. A reader scrolled down keeps their place while items arrive,
   * and a "N new" button takes them back to the top.
   */
  anchor?: { firstKey: number | null; indexOf: (key: number) => number }
}

/** Within this of the top, the reader is "at the newest" and new items simply appear. */
const atTopPx = 4

/**
 * A fixed-row-height virtual list: only the rows in view (plus a few) are in the DOM, so tens of
 * thousands of entries scroll as smoothly as ten.
 */
export function VirtualList({
  count,
  rowHeight,
  renderRow,
  overscan = 8,
  className,
  testId,
  label,
  empty,
  anchor,
}: Props) {
  const ref = useRef<HTMLDivElement>(null)
  const frame = useRef<HTMLDivElement>(null)
  const [scrollTop, setScrollTop] = useState(0)
  const [height, setHeight] = useState(400)
  const [unseen, setUnseen] = useState(0)
  const firstKey = useRef(anchor?.firstKey ?? null)

  // The list shows whole rows: its height is the room it has, rounded down to a row, so no row
  // sits half out of view at the bottom (a banner taking some of the room once left one there).
  useEffect(() => {
    const el = frame.current
    if (!el) return
    const measure = () => setHeight(el.clientHeight)
    measure()
    const ro = new ResizeObserver(measure)
    ro.observe(el)
    return () => ro.disconnect()
  }, [])
  const whole = Math.max(rowHeight, Math.floor(height / rowHeight) * rowHeight)

  // Before paint: items that arrived above a reader scrolled down push the scroll position by
  // exactly their height, so the rows under the reader's eyes do not move.
  useLayoutEffect(() => {
    if (!anchor) return
    const before = firstKey.current
    firstKey.current = anchor.firstKey
    const el = ref.current
    if (!el || before === null || anchor.firstKey === before) return
    const shift = anchor.indexOf(before)
    if (shift <= 0) return
    if (el.scrollTop <= atTopPx) return
    el.scrollTop += shift * rowHeight
    setScrollTop(el.scrollTop)
    setUnseen((n) => n + shift)
  }, [anchor, rowHeight])

  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan)
  const last = Math.min(count, Math.ceil((scrollTop + height) / rowHeight) + overscan)
  const rows: ReactNode[] = []
  for (let i = first; i < last; i++) {
    rows.push(
      <div
        key={i}
        className="vrow"
        style={{ transform: `translateY(${i * rowHeight}px)`, height: rowHeight }}
      >
        {renderRow(i)}
      </div>,
    )
  }

  return (
    <div className="vlist-frame" ref={frame}>
      {unseen > 0 && (
        <button
          type="button"
          className="vlist-new"
          data-testid={testId ? `${testId}-new` : undefined}
          onClick={() => {
            ref.current?.scrollTo({ top: 0 })
            setUnseen(0)
          }}
        >
          {unseen} new ↑
        </button>
      )}
      <div
        ref={ref}
        // Scrollable from the keyboard too: it takes focus, then the arrow keys scroll it.
        tabIndex={0}
        role="region"
        aria-label={label}
        className={`vlist ${className ?? ''}`}
        style={{ flex: 'none', height: whole }}
        data-testid={testId}
        onScroll={(e) => {
          const top = e.currentTarget.scrollTop
          setScrollTop(top)
          if (top <= atTopPx) setUnseen(0)
        }}
      >
        {count === 0 && empty}
        <div className="vlist-inner" style={{ height: count * rowHeight }}>
          {rows}
        </div>
      </div>
    </div>
  )
}
