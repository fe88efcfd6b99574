import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { builtFiles, packForLinux, tempDir, unresolvedDependencies, type Packed } from './pack-app'

// What `npm run dist` puts in the hands of a user, read from a package electron-builder really
// made with electron-builder.yml (see pack-app.ts): its files, its fuses, its metadata.

const root = path.resolve(import.meta.dirname, '../../..')
const tmp = tempDir()
let packed: Packed

beforeAll(async () => {
  packed = await packForLinux(tmp.dir)
}, 240_000)
afterAll(() => tmp.remove())

describe('the packaged app', () => {
  it('holds the bundles, the device model, the icon and the runtime libraries', () => {
    for (const f of [...builtFiles, 'failover.json', 'package.json', 'resources/icon.png'])
      expect(packed.asarFiles, f).toContain(f)
    for (const lib of [
      'azure-iot-device',
      'azure-iot-provisioning-device-mqtt',
      'aedes',
      'ws',
      'zod',
    ])
      expect(packed.asarFiles, lib).toContain(`node_modules/${lib}/package.json`)
    // And everything those need in turn, where Node will look for it, in a version they accept.
    expect(unresolvedDependencies(packed.appDir)).toEqual([])
  })

  it('holds nothing but the build output, the model, the icon and node_modules', () => {
    const top = new Set(packed.asarFiles.map((f) => f.split('/')[0]))
    expect([...top].sort()).toEqual([
      'failover.json',
      'node_modules',
      'out',
      'package.json',
      'resources',
    ])
    expect(packed.asarFiles.filter((f) => f.startsWith('resources/') && f.includes('.'))).toEqual([
      'resources/icon.png',
    ])
  })

  it('leaves out tests, sources, source maps and certificates', () => {
    const own = packed.asarFiles.filter((f) => !f.startsWith('node_modules/'))
    expect(
      own.filter((f) => /^(tests|lab|electron|renderer|shared|scripts|bench)\//.test(f)),
    ).toEqual([])
    expect(own.filter((f) => /\.tsx?$/.test(f))).toEqual([])
    expect(packed.asarFiles.filter((f) => f.endsWith('.map'))).toEqual([])
    expect(packed.asarFiles.filter((f) => f.endsWith('.pem'))).toEqual([])
  })

  it('leaves out the dev tools and the libraries Vite bundled into the renderer', () => {
    for (const dev of [
      'tsx',
      'esbuild',
      '@esbuild',
      'react',
      'react-dom',
      'zustand',
      'vite',
      'electron',
    ])
      expect(
        packed.asarFiles.filter((f) => f.startsWith(`node_modules/${dev}/`)),
        dev,
      ).toEqual([])
  })

  it('has its fuses flipped: no Node mode, no NODE_OPTIONS or --inspect, ASAR only and checked', async () => {
    const wire = await getCurrentFuseWire(packed.binary)
    const state = (fuse: FuseV1Options) => String.fromCharCode(wire[fuse] as number)
    expect({
      runAsNode: state(FuseV1Options.RunAsNode),
      nodeOptions: state(FuseV1Options.EnableNodeOptionsEnvironmentVariable),
      inspect: state(FuseV1Options.EnableNodeCliInspectArguments),
      cookieEncryption: state(FuseV1Options.EnableCookieEncryption),
      asarIntegrity: state(FuseV1Options.EnableEmbeddedAsarIntegrityValidation),
      onlyAsar: state(FuseV1Options.OnlyLoadAppFromAsar),
    }).toEqual({
      runAsNode: '0',
      nodeOptions: '0',
      inspect: '0',
      cookieEncryption: '1',
      asarIntegrity: '1',
      onlyAsar: '1',
    })
  })

  it('signs a macOS build ad hoc again after flipping its fuses, so an unsigned one still starts on Apple silicon', () => {
    // Flipping fuses rewrites the binary and breaks its signature; without a signing identity
    // electron-builder does not sign again, and macOS on arm64 kills the app at launch.
    expect(packed.resetAdHocDarwinSignature).toBe(true)
  })

  it('has what the deb needs: a maintainer with an email, and a homepage', () => {
    expect(packed.deb.maintainer).toMatch(/^[^<>]+ <[^@\s<>]+@[^@\s<>]+\.[a-z]+>$/)
    expect(packed.deb.url).toMatch(/^https:\/\//)
  })

  it('has a real app id and icons made from resources/icon.png, up to 1024 px', () => {
    expect(packed.appId).toMatch(/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*){2,}$/)
    expect(packed.appId).not.toMatch(/example|electron/)
    expect(packed.icons.map((i) => i.size)).toContain(1024)
  })
})

describe('package.json metadata', () => {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))

  it('names an author with an email, a license, a homepage and a repository', () => {
    expect(pkg.author).toMatchObject({
      name: expect.any(String),
      email: expect.stringMatching(/@/),
    })
    expect(pkg.license).toMatch(/^[A-Za-z0-9.-]+$/)
    expect(pkg.homepage).toMatch(/^https:\/\//)
    expect(pkg.repository.url).toMatch(/^git\+https:\/\/.+\.git$/)
  })

  it('ships no dev-only library as a runtime dependency', () => {
    for (const dev of ['tsx', 'react', 'react-dom', 'zustand', 'esbuild', 'vite'])
      expect(Object.keys(pkg.dependencies), dev).not.toContain(dev)
    expect(Object.keys(pkg.dependencies).filter((d) => d.startsWith('@types/'))).toEqual([])
  })
})

describe('the dependency check of a packed app', () => {
  it('names what Node would not find, or find in a version outside the range', () => {
    const t = tempDir()
    try {
      const write = (dir: string, manifest: object) => {
        mkdirSync(path.join(t.dir, dir), { recursive: true })
        writeFileSync(path.join(t.dir, dir, 'package.json'), JSON.stringify(manifest))
      }
      write('.', { dependencies: { a: '^1.0.0', gone: '1.x' } })
      write('node_modules/a', { version: '1.2.0', dependencies: { b: '^4.0.0' } })
      // Hoisted to the top in version 5, while a wants 4: what a careless layout does.
      write('node_modules/b', { version: '5.0.0' })
      expect(unresolvedDependencies(t.dir)).toEqual([
        'the app needs gone: not found',
        'node_modules/a needs b@^4.0.0: finds 5.0.0',
      ])
      write('node_modules/a/node_modules/b', { version: '4.1.0' })
      write('node_modules/gone', { version: '1.0.1' })
      expect(unresolvedDependencies(t.dir)).toEqual([])
    } finally {
      t.remove()
    }
  })
})
