import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { privateLabOptions } from '../../lab/index'
import { AppCore } from '../../electron/core/index'
import { realDeps } from '../../electron/core/engine'
import type { Result } from '../../shared/contract'
import type { LabStats, LabStatus } from '../../shared/lab-actions'
import type { InboundEntry, SessionSnapshot } from '../../shared/domain'
import { waitFor } from '../support/lab'
import { fast, model } from './fixtures/engine'

// The window's lab panel, through the contract, against the real lab and engine: each action does
// what its lizard command does.

let dir: string
let core: AppCore

const call = async <T>(channel: string, request?: unknown): Promise<T> => {
  const r = (await core.invoke(channel, request)) as Result<T>
  if (!r.ok) throw Object.assign(new Error(r.error.message), { code: r.error.code })
  return r.value
}
const snapshot = () => call<SessionSnapshot>('session:snapshot')
const onHub = async () => {
  const s = await snapshot()
  return s.state.kind === 'connected' ? s.hub : null
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'iotc-panel-'))
  core = new AppCore({
    dataDir: dir,
    shell: 'web',
    version: 'test',
    model,
    deps: realDeps(),
    lab: {
      ...privateLabOptions(path.join(dir, 'lab')),
      dpsRetryAfterSec: 0,
      dpsDetectSec: 1,
      rebalanceSec: 1,
    },
    sessionOverrides: { ...fast },
  })
  await core.start()
  await waitFor('connected', onHub, 30_000)
}, 60_000)

afterAll(async () => {
  await core?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('the lab panel', () => {
  it('fails the device over and back', async () => {
    const home = (await onHub())!
    expect(home.isHome).toBe(true)
    expect(await call<string>('lab:act', { action: 'failover', ttl: 2 })).toMatch(/failed over/i)
    await waitFor('on the other hub', async () => (await onHub())?.isHome === false, 30_000)
    await call('lab:act', { action: 'failback' })
    await waitFor('home again', async () => (await onHub())?.isHome === true, 30_000)
  }, 90_000)

  it('takes the home hub down and shows what DPS does about it', async () => {
    const home = (await onHub())!
    const name = home.label.toLowerCase() as 'a' | 'b'
    expect(await call<string>('lab:act', { action: 'outage', hub: name, forSeconds: 4 })).toMatch(
      /\S/,
    )
    const status = await call<LabStatus>('lab:status')
    expect(status.hubs[name].mode).toBe('killed')
    expect(status.hubs[name].outage).not.toBeNull()
    await waitFor(
      'failed over by the outage',
      async () => (await onHub())?.isHome === false,
      30_000,
    )
    await waitFor(
      'back home after restore and rebalance',
      async () => (await onHub())?.isHome === true,
      40_000,
    )
  }, 90_000)

  it('invokes echo, sends setAlarm the IoT Central way, and edits fanSpeed', async () => {
    expect(
      await call<string>('lab:act', {
        action: 'invoke',
        method: 'echo',
        payload: { message: 'from the panel' },
      }),
    ).toMatch(/echo answered 200 .*from the panel/)
    await call('lab:act', { action: 'command', name: 'setAlarm', payload: { time: '07:30:00' } })
    await call('lab:act', { action: 'desired', patch: { fanSpeed: 4 } })
    await waitFor(
      'all three inbound',
      async () => {
        const list = await call<InboundEntry[]>('inbound:list')
        return (
          list.some(
            (e) => e.kind === 'c2d' && e.name === 'setAlarm' && e.response.outcome === 'completed',
          ) && list.some((e) => e.kind === 'desired' && e.name === 'fanSpeed' && e.payload === 4)
        )
      },
      20_000,
    )
  }, 60_000)

  it('reports what the lab received, and refuses what the lab refuses', async () => {
    const stats = await call<LabStats | null>('lab:stats')
    expect(stats!.count).toBeGreaterThan(0)
    expect(stats!.missing).toEqual([])
    await expect(
      call('lab:act', { action: 'invoke', method: 'no such!', payload: null }),
    ).rejects.toMatchObject({
      code: 'bad-request',
    })
    await expect(call('lab:act', { action: 'hub', hub: 'c', op: 'kill' })).rejects.toMatchObject({
      code: 'bad-request',
    })
  })
})
