import type { Session, WebContents } from 'electron'

/**
 * The renderer's Content-Security-Policy. A page loaded from file:// gets no response headers, so
 * for the built app the copy in renderer/index.html's meta tag is the one Chromium enforces: keep
 * the two the same (a test checks), minus frame-ancestors, which a meta tag cannot carry. The
 * Electron renderer talks to main over IPC only, so connect-src needs nothing but 'self' (the
 * web shell's page reaches its own WebSocket under 'self' too, and its server sends a header
 * naming that one socket). `img-src data:` is for the empty favicon.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

/** Denies every permission (camera, notifications, geolocation...); the app needs none. */
export function hardenSession(ses: Session, devServerUrl: string | undefined): void {
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))
  ses.setPermissionCheckHandler(() => false)
  ses.setDevicePermissionHandler(() => false)
  // file:// pages get their CSP from the meta tag; pages served over http (the dev server) also
  // get it as a header. The dev server needs inline scripts for hot reload, so it gets a looser one.
  ses.webRequest.onHeadersReceived((details, callback) => {
    const isDev = devServerUrl !== undefined && details.url.startsWith(new URL(devServerUrl).origin)
    const policy = isDev
      ? CONTENT_SECURITY_POLICY.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
          .replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
          .replace("connect-src 'self'", "connect-src 'self' ws: http://localhost:*")
      : CONTENT_SECURITY_POLICY
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [policy] },
    })
  })
}

/**
 * No navigation away from the renderer, no new windows, no webviews. The app is one page: the
 * only navigation allowed is to the very URL the page already has (a reload), compared as the
 * text Chromium itself produced, never against a URL we built.
 */
export function lockDownContents(contents: WebContents): void {
  const sameDocument = (url: string) => url === contents.getURL()
  contents.on('will-navigate', (event, url) => {
    if (!sameDocument(url)) event.preventDefault()
  })
  contents.on('will-redirect', (event, url) => {
    if (!sameDocument(url)) event.preventDefault()
  })
  contents.on('will-attach-webview', (event) => event.preventDefault())
  contents.setWindowOpenHandler(() => ({ action: 'deny' }))
}
