import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  describeExit,
  exitCodeOf,
  nodeCommand,
  toolEntry,
  wantsXvfb,
} from '../../../scripts/lib/tools.mjs'
import { stepCommand, steps, type Host } from '../../../scripts/lib/test-steps.mjs'

// Scripts run tools as `node <the tool's JS file>`: on Windows `npx.cmd` cannot be spawned
// without a shell since Node 18.20.2 / 20.12.2 (EINVAL), and a failure to start must be said in
// words, not turned into a silent exit 1.

const winNode = 'C:\\Program Files\\nodejs\\node.exe'
const host = (over: Partial<Host>): Host => ({
  platform: 'linux',
  env: {},
  hasXvfbRun: false,
  execPath: '/usr/bin/node',
  root: '/repo',
  ...over,
})
const entryOf = (tool: string) => `/repo/node_modules/${tool}/cli.js`

describe('the command for each npm test step', () => {
  it('on Windows runs node.exe with the tool file: no npx.cmd, no shell', () => {
    for (const step of steps) {
      const cmd = stepCommand(step, host({ platform: 'win32', execPath: winNode }), entryOf)
      expect(cmd).not.toBeInstanceOf(Error)
      if (cmd instanceof Error) continue
      expect(cmd.command).toBe(winNode)
      expect(cmd.args[0]).toBe(entryOf(step.tool!))
      expect(cmd.args.slice(1)).toEqual(step.args)
    }
  })

  it('on headless Linux wraps only the display step in xvfb-run', () => {
    const linux = host({ hasXvfbRun: true })
    const e2e = stepCommand(
      steps.find((s) => s.display)!,
      linux,
      entryOf,
    )
    expect(e2e).toMatchObject({
      command: 'xvfb-run',
      args: ['-a', '/usr/bin/node', entryOf('playwright'), 'test', '--reporter=list,json'],
    })
    const lint = stepCommand(
      steps.find((s) => s.name === 'lint')!,
      linux,
      entryOf,
    )
    expect(lint).toMatchObject({
      command: '/usr/bin/node',
      args: [entryOf('eslint'), '.', '--max-warnings=0'],
    })
  })

  it('passes a step its own environment on top of the host one', () => {
    const e2e = steps.find((s) => s.name === 'e2e')!
    const cmd = stepCommand(e2e, host({ env: { CI: '1' } }), entryOf)
    expect(cmd).toMatchObject({
      env: { CI: '1', PLAYWRIGHT_JSON_OUTPUT_NAME: 'test-output/playwright.json' },
    })
  })

  it('runs a repo script step by its path', () => {
    const cmd = stepCommand(
      { name: 'bench smoke', script: 'bench/smoke.mjs', args: ['--quick'] },
      host({}),
    )
    expect(cmd).toMatchObject({
      command: '/usr/bin/node',
      args: ['/repo/bench/smoke.mjs', '--quick'],
    })
  })

  it('reports a tool that is not installed as an error to show, not a crash', () => {
    const cmd = stepCommand({ name: 'x', tool: 'no-such-tool-here' }, host({}))
    expect(cmd).toBeInstanceOf(Error)
    expect((cmd as Error).message).toMatch(/not installed.*npm install/)
  })
})

describe('wantsXvfb', () => {
  it('only on Linux with no display and xvfb-run present', () => {
    expect(wantsXvfb({ platform: 'linux', env: {}, hasXvfbRun: true })).toBe(true)
    expect(wantsXvfb({ platform: 'linux', env: { DISPLAY: ':0' }, hasXvfbRun: true })).toBe(false)
    expect(wantsXvfb({ platform: 'linux', env: {}, hasXvfbRun: false })).toBe(false)
    expect(wantsXvfb({ platform: 'win32', env: {}, hasXvfbRun: true })).toBe(false)
    expect(wantsXvfb({ platform: 'darwin', env: {}, hasXvfbRun: false })).toBe(false)
  })
})

describe('the tools npm test, start and dist run', () => {
  it('each resolves to a JavaScript file that this Node runs', () => {
    for (const tool of [
      'tsc',
      'eslint',
      'vitest',
      'electron-vite',
      'playwright',
      'electron-builder',
    ]) {
      const entry = toolEntry(tool)
      expect(entry, tool).not.toBeInstanceOf(Error)
      expect(existsSync(entry as string), tool).toBe(true)
    }
    const cmd = nodeCommand(toolEntry('tsc') as string, ['--version'])
    const r = spawnSync(cmd.command, cmd.args, { encoding: 'utf8' })
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^Version \d/)
  })
})

describe('describeExit', () => {
  it('says why a program could not start, and gives a non-zero exit code', () => {
    const r = spawnSync('no-such-program-iotc-ha', [])
    expect(describeExit('lint', r)).toBe('lint could not start: the program was not found (ENOENT)')
    expect(exitCodeOf(r)).toBe(1)
  })

  it("names Windows' refusal to spawn a .cmd without a shell", () => {
    const error = Object.assign(new Error('spawnSync npx.cmd EINVAL'), { code: 'EINVAL' })
    expect(describeExit('typecheck', { status: null, signal: null, error })).toMatch(
      /typecheck could not start: .*\.cmd.*without a shell \(EINVAL\)/,
    )
  })

  it('reports a signal and an exit code, and nothing for success', () => {
    expect(describeExit('e2e', { status: null, signal: 'SIGKILL' })).toBe(
      'e2e was stopped by SIGKILL',
    )
    expect(describeExit('e2e', { status: 2, signal: null })).toBe('e2e failed (exit code 2)')
    expect(describeExit('e2e', { status: 0, signal: null })).toBeNull()
    expect(exitCodeOf({ status: 2 })).toBe(2)
  })
})
