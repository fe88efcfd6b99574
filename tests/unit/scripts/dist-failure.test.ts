import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { distDownloadFailure } from '../../../scripts/lib/dist-failure.mjs'

// `npm run dist` offline: electron-builder's output (recorded from real runs: no DNS, and a
// mirror answering 404) must come down to one line naming what could not be fetched and why.

const fixture = (name: string) =>
  readFileSync(path.join(import.meta.dirname, 'fixtures', name), 'utf8').split('\n')

describe('distDownloadFailure', () => {
  it('says in one line that Electron could not be downloaded, and why (no network)', () => {
    const line = distDownloadFailure(fixture('dist-offline.txt'))
    expect(line).toBe(
      'npm run dist: electron-builder could not download Electron 45.5.0 for linux-x64, which it packages the app with: getaddrinfo ENOTFOUND github.com. It needs the network once (then it is cached), or ELECTRON_MIRROR, or -c.electronDist=<an unpacked Electron>.',
    )
    expect(line).not.toMatch(/\n|\bat /)
  })

  it('passes on the HTTP status of a mirror', () => {
    expect(distDownloadFailure(fixture('dist-http-404.txt'))).toMatch(
      /could not download Electron 45\.5\.0 for linux-x64.*: Response code 404 \(File not found\) for http:\/\/127\.0\.0\.1:18765\/v45\.5\.0\/electron-v45\.5\.0-linux-x64\.zip\./,
    )
  })

  it('names a packaging tool that could not be downloaded', () => {
    const lines = [
      '  • building        target=AppImage arch=x64 file=release/IoT Central HA Device-0.1.0.AppImage',
      '  • downloading     url=https://github.com/electron-userland/electron-builder-binaries/releases/download/appimage-12.0.1/appimage-12.0.1.7z size=1.6 MB parts=1',
      '  ⨯ connect ETIMEDOUT 140.82.121.4:443  failedTask=build stackTrace=RequestError: connect ETIMEDOUT',
      '    at ClientRequest.<anonymous> (/repo/node_modules/got/dist/source/core/index.js:970:111)',
    ]
    expect(distDownloadFailure(lines)).toBe(
      'npm run dist: electron-builder could not download its packaging tool appimage-12.0.1.7z: connect ETIMEDOUT 140.82.121.4:443. It needs the network once (then the tool is cached).',
    )
  })

  it('leaves any other failure to electron-builder’s own words', () => {
    const lines = [
      '  • loaded configuration  file=/repo/electron-builder.yml',
      '  ⨯ Invalid configuration object. electron-builder 26.17.0 has been initialized using a configuration object that does not match the API schema.',
    ]
    expect(distDownloadFailure(lines)).toBeNull()
    expect(distDownloadFailure(['  • packaging  platform=linux'])).toBeNull()
  })
})
