#!/usr/bin/env node
// `npm start`: the Electron app (downloading Electron's binary first if it is missing); where
// Electron cannot run, the same app in your browser through the web shell, saying why.
// Arguments after `npm start --` go to the app.
import { launchApp } from './lib/app-launch.mjs'

await launchApp({ purpose: 'start', electronViteCommand: 'preview', args: process.argv.slice(2) })
