import type { RendererApi } from '../../shared/contract'

declare global {
  interface Window {
    /** Exposed by the Electron preload; absent in a browser (the web shell's WebSocket is used). */
    api?: RendererApi
  }
}

export {}
