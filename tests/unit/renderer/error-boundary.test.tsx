// @vitest-environment happy-dom
import { cleanup, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ErrorBoundary } from '../../../renderer/src/components/ErrorBoundary'

afterEach(cleanup)

function Broken(): never {
  throw new Error('timeline row without an id')
}

describe('a part of the window that throws while rendering', () => {
  it('shows what broke and a way to reload instead of a blank window', () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined)
    render(
      <ErrorBoundary>
        <Broken />
      </ErrorBoundary>,
    )
    const page = screen.getByTestId('render-error')
    expect(page.textContent).toMatch(/Something in this window broke/)
    expect(page.textContent).toMatch(/timeline row without an id/)
    expect(screen.getByRole('button', { name: 'Reload the window' })).toBeTruthy()
    vi.restoreAllMocks()
  })

  it('renders its children when nothing breaks', () => {
    render(
      <ErrorBoundary>
        <p>fine</p>
      </ErrorBoundary>,
    )
    expect(screen.getByText('fine')).toBeTruthy()
    expect(screen.queryByTestId('render-error')).toBeNull()
  })
})
