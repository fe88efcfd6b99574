import { contextBridge, ipcRenderer } from 'electron'
import { buildRendererApi } from './api'

// Bundled to one CommonJS file (out/preload/index.cjs) so it runs in a sandboxed renderer.
contextBridge.exposeInMainWorld('api', buildRendererApi(ipcRenderer))
