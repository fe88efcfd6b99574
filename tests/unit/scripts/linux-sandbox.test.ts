import { describe, expect, it } from 'vitest'
import { sandboxProblem } from '../../../scripts/lib/linux-sandbox.mjs'

// `npm start` on Linux: Electron from node_modules aborts before any window when Chromium's
// sandbox cannot start. The launcher says why and starts with --no-sandbox instead.

const helper = { path: '/repo/node_modules/electron/dist/chrome-sandbox', setuidRoot: false }
const facts = (over: object) => ({
  platform: 'linux',
  uid: 1000,
  usernsRestricted: false,
  helper,
  ...over,
})

describe("Chromium's sandbox for Electron in a checkout", () => {
  it('runs for a user where user namespaces are free, or the helper is setuid root', () => {
    expect(sandboxProblem(facts({}))).toBeNull()
    expect(
      sandboxProblem(facts({ usernsRestricted: true, helper: { ...helper, setuidRoot: true } })),
    ).toBeNull()
    expect(sandboxProblem(facts({ platform: 'darwin', uid: 0 }))).toBeNull()
  })

  it('cannot run as root', () => {
    expect(sandboxProblem(facts({ uid: 0 }))).toMatch(/root.*--no-sandbox/)
  })

  it('cannot run under AppArmor’s user-namespace restriction (Ubuntu 24.04) without a setuid helper, and says how to fix it', () => {
    const why = sandboxProblem(facts({ usernsRestricted: true }))
    expect(why).toMatch(/AppArmor/)
    expect(why).toMatch(/--no-sandbox/)
    expect(why).toContain(`sudo chown root:root ${helper.path} && sudo chmod 4755 ${helper.path}`)
  })
})
