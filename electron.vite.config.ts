import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'electron-vite'
import react from '@vitejs/plugin-react'
import type { Plugin } from 'vite'

// main:     electron/main/index.ts → out/main/index.js (ESM; dependencies stay in node_modules)
// preload:  electron/preload/index.ts → out/preload/index.cjs (one CommonJS file: sandboxed
//           preloads cannot load ESM or require anything but electron and a few built-ins)
// renderer: renderer/ → out/renderer (served by Electron from file:// and by the web shell)

/** The dev server injects inline scripts for hot reload; the meta CSP is for built pages only
 * (Electron's main process sends a dev-only policy as a header instead). */
function devCspPlugin(): Plugin {
  return {
    name: 'iotc-dev-csp',
    apply: 'serve',
    transformIndexHtml(html) {
      return html.replace(/\s*<meta\s+http-equiv="Content-Security-Policy"[\s\S]*?\/>/, '')
    },
  }
}

const root = dirname(fileURLToPath(import.meta.url))

export default defineConfig({
  main: {
    build: {
      externalizeDeps: true,
      lib: { entry: resolve(root, 'electron/main/index.ts') },
    },
  },
  preload: {
    build: {
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve(root, 'electron/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs', codeSplitting: false },
      },
    },
  },
  renderer: {
    root: resolve(root, 'renderer'),
    plugins: [react(), devCspPlugin()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      rolldownOptions: { input: resolve(root, 'renderer/index.html') },
    },
  },
})
