// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import type { TimelineEntry } from '../../../shared/domain'
import { Timeline } from '../../../renderer/src/components/Timeline'
import { useApp } from '../../../renderer/src/store'

afterEach(cleanup)

const entry = (id: number): TimelineEntry => ({
  id,
  at: 1_700_000_000_000 + id * 1000,
  state: 'connected',
  reason: `entry ${id}`,
})
const entries = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => entry(from + i))

describe('the timeline', () => {
  it('keeps a scrolled-down reader in place while entries arrive, and offers the new ones', async () => {
    useApp.setState({ timeline: entries(1, 100), hubLabels: {}, snapshot: null })
    render(<Timeline />)
    const list = screen.getByTestId('timeline-list')
    list.scrollTop = 280
    fireEvent.scroll(list)
    await act(async () => useApp.setState({ timeline: entries(1, 103) }))
    // Three rows arrived on top: the scroll position moved by exactly their height.
    expect(list.scrollTop).toBe(280 + 3 * 28)
    const fresh = screen.getByTestId('timeline-list-new')
    expect(fresh.textContent).toMatch(/^3 new/)
    fireEvent.click(fresh)
    fireEvent.scroll(list)
    expect(screen.queryByTestId('timeline-list-new')).toBeNull()
  })

  it('at the top, new entries simply appear there', async () => {
    useApp.setState({ timeline: entries(1, 50), hubLabels: {}, snapshot: null })
    render(<Timeline />)
    const list = screen.getByTestId('timeline-list')
    await act(async () => useApp.setState({ timeline: entries(1, 52) }))
    expect(list.scrollTop).toBe(0)
    expect(screen.queryByTestId('timeline-list-new')).toBeNull()
    expect(screen.getAllByTestId('timeline-row')[0]!.textContent).toContain('entry 52')
  })

  it('says when older entries were not kept', () => {
    useApp.setState({ timeline: entries(1196, 1300), hubLabels: {}, snapshot: null })
    render(<Timeline />)
    expect(screen.getByTestId('timeline-retention').textContent).toBe(
      '(the first 1,195 were not kept)',
    )
  })

  it('a huge filter is cut to a sensible length and not echoed whole', async () => {
    useApp.setState({ timeline: entries(1, 10), hubLabels: {}, snapshot: null })
    render(<Timeline />)
    const filter = screen.getByTestId('timeline-filter') as HTMLInputElement
    fireEvent.change(filter, { target: { value: 'x'.repeat(1 << 20) } })
    expect(filter.value.length).toBeLessThanOrEqual(200)
    const empty = await screen.findByTestId('timeline-empty')
    expect(empty.textContent!.length).toBeLessThan(100)
  })
})
