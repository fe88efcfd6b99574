import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, testLab, waitFor } from '../support/lab'
import {
  connectFlowing,
  hubName,
  labDevice,
  labTelemetry,
  newSession,
  nextEntryId,
  since,
  spawnFixture,
  steps,
  untilState,
} from './fixtures/engine'

// Connect, disconnect and close as a user really calls them: quickly, out of turn, and while
// the network is misbehaving.

let lab: Awaited<ReturnType<typeof testLab>>

beforeAll(async () => {
  lab = await testLab()
})
afterAll(async () => {
  await lab?.stop()
})

const settle = () => new Promise((r) => setTimeout(r, 1000))

describe('session lifecycle', () => {
  it('disconnect, connect, disconnect in quick succession ends disconnected', async () => {
    const id = 'eng-life-dcd'
    const { session, dispose } = newSession(lab, id)
    try {
      await session.connect()
      await untilState(session, 'connected')
      await Promise.all([session.disconnect(), session.connect(), session.disconnect()])
      await settle()
      expect(session.snapshot().state.kind).toBe('disconnected')
      expect((await labDevice(lab, id)).connectedTo).toBeNull()
    } finally {
      await dispose()
    }
  })

  it('Reconnect while connected drops the link and comes back to the cached hub, without DPS or loss', async () => {
    const id = 'eng-life-reconnect'
    const { session, dispose } = newSession(lab, id)
    try {
      await connectFlowing(lab, session, id)
      const registrations = (await labDevice(lab, id)).dpsRegistrations
      const from = nextEntryId(session)
      session.reconnect()
      await waitFor('back', () =>
        since(session, from).some((e) => e.state === 'connected') ? true : null,
      )
      const entries = since(session, from)
      expect(steps(entries)).toEqual(['lost lost', 'reconnecting hub-try', 'connected connected'])
      expect(entries[0]!.cause).toMatchObject({ loss: { kind: 'asked' } })
      expect(entries[2]!.cause).toMatchObject({ via: 'cache', move: null })
      const seq = session.snapshot().lastTelemetry!.seq
      await waitFor(
        'telemetry after',
        async () => (await labTelemetry(lab, id)).stats.lastSeq! > seq,
      )
      expect((await labTelemetry(lab, id)).stats.missing).toEqual([])
      expect((await labDevice(lab, id)).dpsRegistrations).toBe(registrations)
    } finally {
      await dispose()
    }
  })

  it("the user's own Connect after a Disconnect reads as connecting, not as reconnecting", async () => {
    const id = 'eng-life-connect'
    const { session, dispose } = newSession(lab, id)
    try {
      await session.connect()
      await untilState(session, 'connected')
      const host = session.snapshot().hub!.host
      await session.disconnect()
      const from = nextEntryId(session)
      await session.connect()
      await untilState(session, 'connected')
      const entries = since(session, from)
      expect(steps(entries)).toEqual(['connecting hub-try', 'connected connected'])
      expect(entries[0]!.cause).toEqual({
        code: 'hub-try',
        hub: host,
        attempt: 1,
        after: 'connect',
      })
      expect(session.snapshot().counters.reconnects).toBe(0)
    } finally {
      await dispose()
    }
  })

  it("restart() (a shell's last resort) records the fault and comes back with fresh clients, losing nothing", async () => {
    const id = 'eng-life-restart'
    const { session, dispose } = newSession(lab, id)
    try {
      await connectFlowing(lab, session, id)
      const from = nextEntryId(session)
      await session.restart!(new TypeError('callback is not a function'))
      await waitFor('back', () => since(session, from).some((e) => e.cause?.code === 'connected'))
      const entries = since(session, from)
      expect(entries[0]!.cause).toEqual({ code: 'fault', detail: 'callback is not a function' })
      expect(steps(entries).slice(1)).toEqual(['connecting hub-try', 'connected connected'])
      const seq = session.snapshot().lastTelemetry!.seq
      await waitFor(
        'telemetry after',
        async () => (await labTelemetry(lab, id)).stats.lastSeq! > seq,
      )
      await session.disconnect()
      expect((await labTelemetry(lab, id)).stats.missing).toEqual([])
    } finally {
      await dispose()
    }
  })

  it('a connect() made while close() is stopping does not bring the closed session back', async () => {
    const id = 'eng-life-close'
    const { session, dispose } = newSession(lab, id)
    try {
      await session.connect()
      await untilState(session, 'connected')
      const closed = session.close()
      await session.connect().catch(() => {})
      await closed
      await settle()
      expect(session.snapshot()).toMatchObject({ state: { kind: 'disconnected' }, lastError: null })
      expect((await labDevice(lab, id)).connectedTo).toBeNull()
      await expect(session.connect()).rejects.toThrow(/closed/)
    } finally {
      await dispose()
    }
  })

  it('close() on a hub that went silent lets go of everything: the process exits by itself', async () => {
    const id = 'eng-life-silent'
    const dataDir = mkdtempSync(join(tmpdir(), 'engine-silent-'))
    const child = spawnFixture(lab, 'close-on-silent-hub.ts', { deviceId: id, dataDir })
    let exitedAt = 0
    child.on('exit', () => (exitedAt = Date.now()))
    let hub: 'a' | 'b' | null = null
    try {
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
      const host = /^connected (\S+)$/.exec(String((await lines.next()).value))?.[1]
      expect(host).toBeDefined()
      hub = hubName(lab, host!)
      // Telemetry keeps going out for a moment, so the silent hub is left owing PUBACKs.
      await new Promise((r) => setTimeout(r, 300))
      await api(lab, 'POST', `/hubs/${hub}/blackhole`)
      await new Promise((r) => setTimeout(r, 300))
      child.stdin.end('close\n')
      expect((await lines.next()).value).toBe('closed')
      const closedAt = Date.now()
      await waitFor('the process to exit', () => exitedAt > 0, 3000)
      expect(exitedAt - closedAt).toBeLessThan(1500)
    } finally {
      child.kill('SIGKILL')
      if (hub) await api(lab, 'POST', `/hubs/${hub}/restore`)
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
