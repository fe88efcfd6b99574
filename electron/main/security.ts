import type { Session, WebContents } from 'electron'

/** The renderer's Content-Security-Policy (also in renderer/index.html as a meta tag). */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
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

/** No navigation away from the renderer, no new windows, no webviews. */
export function lockDownContents(contents: WebContents, isOwnUrl: (url: string) => boolean): void {
  contents.on('will-navigate', (event, url) => {
    if (!isOwnUrl(url)) event.preventDefault()
  })
  contents.on('will-redirect', (event, url) => {
    if (!isOwnUrl(url)) event.preventDefault()
  })
  contents.on('will-attach-webview', (event) => event.preventDefault())
  contents.setWindowOpenHandler(() => ({ action: 'deny' }))
}
