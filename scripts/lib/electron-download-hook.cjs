// Preloaded (node --require) into Electron's installer by electron-binary.mjs. @electron/get
// reports a failed download as "TypeError: fetch failed" and leaves out why (no DNS, refused,
// a proxy…), and it waits as long as the OS does for a server that accepts and never answers.
// This gives its errors their cause and gives up when no response has started in time; a
// response that has started is left to run (a slow link still downloads).
'use strict'
/* global AbortController, AbortSignal */

const realFetch = globalThis.fetch
const connectMs = Number(process.env.IOTC_ELECTRON_CONNECT_TIMEOUT_MS) || 30_000

function hostOf(url) {
  try {
    return new URL(url).host
  } catch {
    return String(url)
  }
}

function causeOf(error) {
  const cause = error && error.cause
  if (!cause) return (error && error.message) || String(error)
  // A host with several addresses fails with one error per address.
  const first = Array.isArray(cause.errors) && cause.errors.length ? cause.errors[0] : cause
  return first.message || first.code || String(first)
}

globalThis.fetch = async function fetchWithReasons(input, init = {}) {
  const url = typeof input === 'string' ? input : (input && input.url) || String(input)
  const timer = new AbortController()
  const timeout = setTimeout(() => timer.abort(), connectMs)
  const signal = init.signal ? AbortSignal.any([init.signal, timer.signal]) : timer.signal
  try {
    return await realFetch(input, { ...init, signal })
  } catch (error) {
    if (timer.signal.aborted)
      throw new Error(`${hostOf(url)} did not answer within ${Math.round(connectMs / 100) / 10} s`)
    throw new Error(`could not reach ${hostOf(url)}: ${causeOf(error)}`)
  } finally {
    clearTimeout(timeout)
  }
}
