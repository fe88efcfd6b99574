import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'
import { extractAll, listPackage } from '@electron/asar'
import { Arch, Platform, build } from 'electron-builder'
import semver from 'semver'

// Packs the app the way `npm run dist` does, with electron-builder itself and this repo's
// electron-builder.yml, except that Electron comes from a stand-in folder instead of a download:
// a file holding only Electron's fuse wire, so electron-builder flips the fuses in it as it would
// in the real binary. What the package holds (the ASAR), the fuses and the deb's metadata can
// then be read where no Electron binary can be had.

const require = createRequire(import.meta.url)
const root = path.resolve(import.meta.dirname, '../../..')

/** The built files the package must carry; they come from `npm run build`. */
export const builtFiles = [
  'out/main/index.js',
  'out/preload/index.cjs',
  'out/renderer/index.html',
  'out/cli/lizard.js',
  'out/lab/worker.js',
]

// Electron's fuse sentinel, then wire version 1, 8 fuses, as Electron 45 ships them:
// RunAsNode on, cookie encryption off, NODE_OPTIONS on, --inspect on, ASAR integrity off,
// only-from-ASAR off, browser V8 snapshot off, file:// privileges on.
const sentinel = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'
const shippedWire = '10110001'

export interface Packed {
  /** Paths inside app.asar, with forward slashes and no leading slash. */
  asarFiles: string[]
  /** app.asar extracted, to read what the app would load. */
  appDir: string
  /** Whether macOS builds get an ad-hoc signature again after the fuses are flipped. */
  resetAdHocDarwinSignature: boolean
  /** The packaged executable, whose fuse wire electron-builder flipped. */
  binary: string
  /** The deb's maintainer and project URL, as electron-builder's deb target computes them. */
  deb: { maintainer: string; url: string }
  /** The Linux desktop icons electron-builder made from resources/. */
  icons: { file: string; size: number }[]
  appId: string
}

/**
 * Every package the app needs at run time: package.json's dependencies and theirs, found as Node
 * finds them (the package's own node_modules, then each folder above). Paths relative to the
 * repository, e.g. `node_modules/aedes` or `node_modules/azure-iot-mqtt-base/node_modules/mqtt`.
 */
function runtimePackages(): string[] {
  const found = new Set<string>()
  const manifest = (dir: string) =>
    JSON.parse(readFileSync(path.join(root, dir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>
      optionalDependencies?: Record<string, string>
    }
  const locate = (from: string, name: string): string | null => {
    for (let dir = from; ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, 'node_modules', name)
      if (existsSync(path.join(root, candidate, 'package.json'))) return candidate
      if (dir === '.' || dir === '') return null
    }
  }
  const visit = (dir: string, optional: Set<string>) => {
    const m = manifest(dir)
    for (const name of Object.keys({ ...m.dependencies, ...m.optionalDependencies })) {
      const at = locate(dir, name)
      if (at === null) {
        if (optional.has(name) || m.optionalDependencies?.[name] !== undefined) continue
        throw new Error(`${dir || 'the app'} needs ${name}, which is not installed`)
      }
      const rel = at.split(path.sep).join('/')
      if (found.has(rel)) continue
      found.add(rel)
      visit(at, new Set(Object.keys(manifest(at).optionalDependencies ?? {})))
    }
  }
  visit('', new Set())
  return [...found].sort()
}

/**
 * A copy of the repository with the runtime packages copied, not linked (through a link
 * electron-builder cannot walk the tree and packs only part of it), plus files a careless config
 * would ship.
 */
function projectCopy(dir: string): string {
  const project = path.join(dir, 'project')
  const skip = new Set(['node_modules', '.git', 'release', 'dist', 'test-output', 'test-results'])
  cpSync(root, project, {
    recursive: true,
    filter: (src) => !skip.has(path.relative(root, src).split(path.sep)[0]!),
  })
  // The top-level ones: a package's own node_modules comes with it.
  for (const pkg of runtimePackages().filter(
    (p) => !p.slice('node_modules/'.length).includes('/node_modules/'),
  ))
    cpSync(path.join(root, pkg), path.join(project, pkg), { recursive: true })
  writeFileSync(path.join(project, 'out/main/index.js.map'), '{}')
  mkdirSync(path.join(project, '.lab-data'), { recursive: true })
  writeFileSync(path.join(project, '.lab-data/ca.pem'), '-----BEGIN CERTIFICATE-----\n')
  writeFileSync(path.join(project, 'server-key.pem'), '-----BEGIN PRIVATE KEY-----\n')
  return project
}

function fakeElectron(dir: string): string {
  const dist = path.join(dir, 'electron-dist')
  mkdirSync(dist)
  const binary = path.join(dist, 'electron')
  writeFileSync(
    binary,
    Buffer.concat([Buffer.from(sentinel), Buffer.from([1, 8]), Buffer.from(shippedWire)]),
  )
  chmodSync(binary, 0o755)
  writeFileSync(path.join(dist, 'version'), require('electron/package.json').version)
  return dist
}

export async function packForLinux(dir: string): Promise<Packed> {
  const missing = builtFiles.filter((f) => !existsSync(path.join(root, f)))
  if (missing.length) throw new Error(`${missing.join(', ')} missing: run npm run build first`)
  const project = projectCopy(dir)
  const output = path.join(dir, 'release')
  let deb: Packed['deb'] | null = null
  let icons: Packed['icons'] = []
  let appId = ''
  let resetAdHocDarwinSignature = false

  await build({
    projectDir: project,
    targets: Platform.LINUX.createTarget('dir', Arch.x64),
    config: {
      electronDist: fakeElectron(dir),
      // Read from the installed package as electron-builder would; the copy holds only runtime packages.
      electronVersion: require('electron/package.json').version as string,
      npmRebuild: false,
      directories: { output },
      afterPack: async (context) => {
        // The deb target's own metadata check (what stopped `npm run dist` before), run here
        // because building a deb needs fpm, a download.
        const { default: FpmTarget } = require('app-builder-lib/out/targets/FpmTarget')
        const { LinuxTargetHelper } = require('app-builder-lib/out/targets/LinuxTargetHelper')
        const helper = new LinuxTargetHelper(context.packager)
        const target = new FpmTarget('deb', context.packager, helper, context.outDir)
        const meta = await target.checkOptions()
        deb = { maintainer: meta.maintainer, url: meta.url }
        icons = await helper.icons
        appId = context.packager.appInfo.id
        resetAdHocDarwinSignature =
          context.packager.config.electronFuses?.resetAdHocDarwinSignature === true
      },
    },
  })

  const unpacked = path.join(output, 'linux-unpacked')
  const appDir = path.join(dir, 'app')
  extractAll(path.join(unpacked, 'resources', 'app.asar'), appDir)
  return {
    appDir,
    resetAdHocDarwinSignature,
    asarFiles: listPackage(path.join(unpacked, 'resources', 'app.asar'), { isPack: false }).map(
      (f) => f.replace(/\\/g, '/').replace(/^\//, ''),
    ),
    binary: path.join(unpacked, 'iotc-ha-device'),
    deb: deb!,
    icons,
    appId,
  }
}

export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'iotc-pack-'))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/**
 * Every dependency, of the app and of each package it carries, that Node would not find from
 * where the dependent sits in the unpacked app, or would find in a version outside the range the
 * dependent asks for. electron-builder lays node_modules out anew (it hoists what it can), so
 * "the package is in there somewhere" is not enough.
 */
export function unresolvedDependencies(appDir: string): string[] {
  const dirs = [appDir]
  const collect = (modules: string) => {
    if (!existsSync(modules)) return
    for (const entry of readdirSync(modules)) {
      if (entry.startsWith('.')) continue
      const names = entry.startsWith('@')
        ? readdirSync(path.join(modules, entry)).map((s) => path.join(entry, s))
        : [entry]
      for (const name of names) {
        const dir = path.join(modules, name)
        if (!existsSync(path.join(dir, 'package.json'))) continue
        dirs.push(dir)
        collect(path.join(dir, 'node_modules'))
      }
    }
  }
  collect(path.join(appDir, 'node_modules'))
  const read = (file: string) =>
    JSON.parse(readFileSync(file, 'utf8')) as {
      version?: string
      dependencies?: Record<string, string>
    }
  const problems: string[] = []
  for (const dir of dirs) {
    const who = path.relative(appDir, dir).split(path.sep).join('/') || 'the app'
    for (const [name, range] of Object.entries(
      read(path.join(dir, 'package.json')).dependencies ?? {},
    )) {
      let found: string | null = null
      for (let d = dir; found === null; d = path.dirname(d)) {
        const candidate = path.join(d, 'node_modules', name, 'package.json')
        if (existsSync(candidate)) found = candidate
        else if (d === appDir) break
      }
      if (found === null) problems.push(`${who} needs ${name}: not found`)
      else {
        const version = read(found).version ?? ''
        if (
          semver.validRange(range) &&
          !semver.satisfies(version, range, { includePrerelease: true })
        )
          problems.push(`${who} needs ${name}@${range}: finds ${version}`)
      }
    }
  }
  return problems
}
