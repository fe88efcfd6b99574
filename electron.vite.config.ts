import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'electron-vite'
import react from '@vitejs/plugin-react'
import type { Plugin } from 'vite'

// main:     electron/main/index.ts → out/main/index.js (ESM; dependencies stay in node_modules),
//           built with the Node programs the app and a checkout run without tsx:
//           out/cli/lizard.js, out/cli/fleet.js, out/cli/lab.js, out/cli/web.js and
//           out/lab/worker.js. Shared code goes to out/chunks/: every file sits two folders below
//           the root (the repo, or the root of app.asar), so a bundle's `../..` finds
//           failover.json and out/renderer.
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
      outDir: resolve(root, 'out'),
      // The CLIs run on the user's Node (20.19+), not only on Electron's newer one.
      target: 'node20.19',
      rolldownOptions: {
        input: {
          'main/index': resolve(root, 'electron/main/index.ts'),
          'cli/lizard': resolve(root, 'scripts/entries/lizard.ts'),
          'cli/fleet': resolve(root, 'scripts/entries/fleet.ts'),
          'cli/lab': resolve(root, 'lab/main.ts'),
          'cli/web': resolve(root, 'electron/web/cli.ts'),
          'lab/worker': resolve(root, 'lab/worker.ts'),
        },
        output: { entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
      },
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
