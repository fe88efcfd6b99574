import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import type { RendererApi } from '../../shared/contract'
import { createWebApi, socketUrlFromLocation } from './api/web-api'
import { App } from './App'
import { ErrorBoundary } from './components/ErrorBoundary'
import { actions, connectStore, notify, reloadAll } from './store'
import './styles.css'
import './shell.css'

/** Electron's preload exposes window.api; in a browser the web shell's WebSocket stands in. */
function pickApi(): RendererApi | null {
  if (window.api) return window.api
  const url = socketUrlFromLocation(window.location)
  if (!url) return null
  const web = createWebApi(url)
  let wasClosed = false
  web.onStatus((status) => {
    actions.setTransport(status)
    if (status === 'closed') wasClosed = true
    if (status === 'open' && wasClosed) {
      wasClosed = false
      void reloadAll(false)
    }
  })
  return web.api
}

const api = pickApi()
if (api) connectStore(api)
else
  notify({
    code: 'unavailable',
    message: 'Open the link printed by `npm run web` (it carries the access token).',
  })

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ErrorBoundary>
      <App />
    </ErrorBoundary>
  </StrictMode>,
)
