import { useEffect, useRef, useState, type ReactNode } from 'react'

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
}

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
}: Props) {
  const ref = useRef<HTMLDivElement>(null)
  const [scrollTop, setScrollTop] = useState(0)
  const [height, setHeight] = useState(400)

  useEffect(() => {
    const el = ref.current
    if (!el) return
    const measure = () => setHeight(el.clientHeight)
    measure()
    const ro = new ResizeObserver(measure)
    ro.observe(el)
    return () => ro.disconnect()
  }, [])

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
    <div
      ref={ref}
      // Scrollable from the keyboard too: it takes focus, then the arrow keys scroll it.
      tabIndex={0}
      role="region"
      aria-label={label}
      className={`vlist ${className ?? ''}`}
      data-testid={testId}
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
    >
      {count === 0 && empty}
      <div className="vlist-inner" style={{ height: count * rowHeight }}>
        {rows}
      </div>
    </div>
  )
}
