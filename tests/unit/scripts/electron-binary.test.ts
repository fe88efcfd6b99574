import path from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  downloadFailureReason,
  electronPlan,
  ensureElectron,
  platformBinaryPath,
  type ElectronFacts,
} from '../../../scripts/lib/electron-binary.mjs'

// npm start, npm run dev and the Electron e2e decide from these facts whether to run Electron,
// download its binary first, or fall back (browser shell / skip), and what to tell the user.

const dist = path.join('/repo', 'node_modules', 'electron', 'dist')

function facts(over: Partial<ElectronFacts> & { files?: string[] } = {}): ElectronFacts {
  const { files = [], ...rest } = over
  return {
    platform: 'linux',
    version: '45.5.0',
    display: true,
    pathTxt: null,
    distDir: dist,
    exists: (f) => files.includes(f),
    ...rest,
  }
}

describe('platformBinaryPath', () => {
  it('names the binary the way Electron lays out each platform', () => {
    expect(platformBinaryPath('darwin')).toBe('Electron.app/Contents/MacOS/Electron')
    expect(platformBinaryPath('win32')).toBe('electron.exe')
    expect(platformBinaryPath('linux')).toBe('electron')
    expect(platformBinaryPath('aix')).toBeNull()
  })
})

describe('electronPlan', () => {
  it('downloads first when npm install left no binary (no path.txt), and says so', () => {
    const plan = electronPlan(facts(), 'start')
    expect(plan.kind).toBe('download')
    expect(plan.lines.join('\n')).toMatch(/not installed yet[\s\S]*Downloading it now/)
  })

  it('runs an installed binary without a word', () => {
    const binary = path.join(dist, 'electron')
    const plan = electronPlan(facts({ pathTxt: 'electron', files: [binary] }), 'start')
    expect(plan).toEqual({ kind: 'ready', binary, lines: [] })
  })

  it('follows path.txt on each platform', () => {
    const mac = path.join(dist, 'Electron.app/Contents/MacOS/Electron')
    const plan = electronPlan(
      facts({ platform: 'darwin', pathTxt: 'Electron.app/Contents/MacOS/Electron', files: [mac] }),
      'start',
    )
    expect(plan).toMatchObject({ kind: 'ready', binary: mac })
  })

  it('downloads again when path.txt is there but the binary is not', () => {
    expect(electronPlan(facts({ platform: 'win32', pathTxt: 'electron.exe' }), 'dev').kind).toBe(
      'download',
    )
  })

  it('after a good download runs the binary and says it is installed', () => {
    const binary = path.join(dist, 'electron')
    const plan = electronPlan(
      facts({ pathTxt: 'electron', files: [binary], download: { ok: true } }),
      'start',
    )
    expect(plan.kind).toBe('ready')
    expect(plan.lines).toEqual(['Electron 45.5.0 is installed.'])
  })

  it('after a failed download gives the real reason and the fallback, in a few lines', () => {
    const reason = 'could not reach github.com: getaddrinfo ENOTFOUND github.com'
    const plan = electronPlan(facts({ download: { ok: false, reason } }), 'start')
    expect(plan.kind).toBe('unavailable')
    expect(plan.lines[0]).toBe(`Electron cannot run here: its download failed: ${reason}.`)
    expect(plan.lines.at(-1)).toMatch(/in your browser instead.*web shell/)
    expect(plan.lines.length).toBeLessThanOrEqual(3)
    expect(plan.lines.join('\n')).not.toMatch(/\n\s+at /)
  })

  it('for dev, says the browser shell has no hot reload; for the e2e, only the reason', () => {
    const download = { ok: false as const, reason: 'github.com did not answer within 30 s' }
    expect(electronPlan(facts({ download }), 'dev').lines.join('\n')).toMatch(/no hot reload/)
    const e2e = electronPlan(facts({ download }), 'e2e')
    expect(e2e).toMatchObject({
      kind: 'unavailable',
      reason: `its download failed: ${download.reason}`,
    })
    expect(e2e.lines.join('\n')).not.toMatch(/browser/)
  })

  it('says so when a download ended without a binary', () => {
    const plan = electronPlan(facts({ download: { ok: true } }), 'start')
    expect(plan).toMatchObject({ kind: 'unavailable' })
    expect(plan.kind === 'unavailable' && plan.reason).toMatch(/is not there/)
  })

  it('uses the per-platform binary name under ELECTRON_OVERRIDE_DIST_PATH', () => {
    const dir = path.join('/opt', 'electron-45')
    for (const [platform, name] of [
      ['darwin', 'Electron.app/Contents/MacOS/Electron'],
      ['win32', 'electron.exe'],
      ['linux', 'electron'],
    ] as const) {
      const binary = path.join(dir, name)
      expect(electronPlan(facts({ platform, overrideDir: dir, files: [binary] }), 'e2e')).toEqual({
        kind: 'ready',
        binary,
        lines: [],
      })
    }
  })

  it('never downloads over ELECTRON_OVERRIDE_DIST_PATH, and names the missing file', () => {
    const dir = path.join('/opt', 'nothing-here')
    const plan = electronPlan(facts({ platform: 'win32', overrideDir: dir }), 'start')
    expect(plan.kind).toBe('unavailable')
    expect(plan.lines[0]).toContain(path.join(dir, 'electron.exe'))
  })

  it('does not download on a Linux session without a display: it could not show a window', () => {
    const plan = electronPlan(facts({ display: false }), 'start')
    expect(plan.kind).toBe('unavailable')
    expect(plan.lines[0]).toMatch(/no display/)
  })

  it('refuses a platform Electron has no build for', () => {
    expect(electronPlan(facts({ platform: 'aix' }), 'start')).toMatchObject({
      kind: 'unavailable',
      reason: 'Electron has no build for aix',
    })
  })
})

describe('downloadFailureReason', () => {
  it('keeps the error line of the installer and drops its stack', () => {
    const stderr = [
      'Error: could not reach github.com: getaddrinfo ENOTFOUND github.com',
      '    at fetchWithReasons (/repo/scripts/lib/electron-download-hook.cjs:37:11)',
      '    at async FetchDownloader.download (file:///repo/node_modules/@electron/get/dist/FetchDownloader.js:46:30)',
    ].join('\n')
    expect(downloadFailureReason({ status: 1, signal: null, stderr }, 60_000)).toBe(
      'could not reach github.com: getaddrinfo ENOTFOUND github.com',
    )
  })

  it('keeps an HTTP status and a checksum mismatch as they are worded', () => {
    const http =
      'HTTPError: Response code 404 (Not Found) for https://mirror.example/v45.5.0/electron.zip\n    at x'
    expect(downloadFailureReason({ status: 1, stderr: http }, 1000)).toBe(
      'Response code 404 (Not Found) for https://mirror.example/v45.5.0/electron.zip',
    )
    const sum =
      'Error: Generated checksum for "electron-v45.5.0-linux-x64.zip" did not match expected checksum.'
    expect(downloadFailureReason({ status: 1, stderr: sum }, 1000)).toMatch(/^Generated checksum/)
  })

  it('says when the time bound stopped it', () => {
    const error = Object.assign(new Error('spawnSync node ETIMEDOUT'), { code: 'ETIMEDOUT' })
    expect(
      downloadFailureReason({ status: null, signal: 'SIGKILL', error, stderr: '' }, 90_000),
    ).toBe('it did not finish within 90 s')
  })

  it('says when the installer could not start, or exited without a word', () => {
    const error = Object.assign(new Error('spawn node EACCES'), { code: 'EACCES' })
    expect(downloadFailureReason({ status: null, error }, 1000)).toMatch(/could not start.*EACCES/)
    expect(downloadFailureReason({ status: 3, signal: null, stderr: '' }, 1000)).toBe(
      'the installer exited with code 3',
    )
  })
})

describe('ensureElectron', () => {
  it('announces the download, then reports the reason when it fails', () => {
    const said: string[] = []
    let attempts = 0
    const result = ensureElectron({
      purpose: 'e2e',
      say: (l) => said.push(l),
      download: () => {
        attempts++
        return { ok: false, reason: 'could not reach github.com: connect ECONNREFUSED' }
      },
      facts: (download) => facts({ download }),
    })
    expect(attempts).toBe(1)
    expect(result).toEqual({
      binary: null,
      reason: 'its download failed: could not reach github.com: connect ECONNREFUSED',
    })
    expect(said[1]).toMatch(/Downloading it now/)
    expect(said.at(-1)).toMatch(/npx install-electron/)
  })

  it('runs the binary the download installed', () => {
    const binary = path.join(dist, 'electron')
    const result = ensureElectron({
      purpose: 'start',
      say: () => undefined,
      download: () => ({ ok: true }),
      facts: (download) =>
        download ? facts({ download, pathTxt: 'electron', files: [binary] }) : facts(),
    })
    expect(result).toEqual({ binary })
  })
  it('turns a missing electron package into a reason, not a crash', () => {
    const said: string[] = []
    const result = ensureElectron({
      purpose: 'start',
      say: (l) => said.push(l),
      facts: () => {
        throw new Error('electron is not installed in node_modules: run npm install')
      },
    })
    expect(result).toEqual({
      binary: null,
      reason: 'electron is not installed in node_modules: run npm install',
    })
    expect(said.at(-1)).toMatch(/web shell/)
  })
})
