#!/usr/bin/env node
// `npm run dev`: the Electron app with hot reload (electron-vite dev), downloading Electron's
// binary first if it is missing; where Electron cannot run, the browser shell, saying why.
import { launchApp } from './lib/app-launch.mjs'

await launchApp({ purpose: 'dev', electronViteCommand: 'dev', args: process.argv.slice(2) })
