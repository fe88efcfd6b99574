import { appendFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DeviceSession } from '../../electron/device/index'
import { api, testLab, waitFor } from '../support/lab'
import { labTelemetry, sessionOptions, spawnFixture, untilState } from './fixtures/engine'

// The outbox is on disk: a process killed while offline loses nothing it had produced.

let lab: Awaited<ReturnType<typeof testLab>>
let dataDir: string

beforeAll(async () => {
  lab = await testLab()
  dataDir = mkdtempSync(join(tmpdir(), 'engine-crash-'))
})
afterAll(async () => {
  await lab?.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

/** Runs the offline producer until it has journaled `count` messages, then SIGKILLs it. */
async function produceOfflineThenKill(deviceId: string, count: number): Promise<number> {
  const child = spawnFixture(lab, 'offline-producer.ts', { deviceId, dataDir })
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  )
  let last = 0
  for await (const line of createInterface({ input: child.stdout })) {
    last = Number(/^queued (\d+)$/.exec(line)?.[1] ?? last)
    if (last >= count) {
      child.kill('SIGKILL')
      break
    }
  }
  expect(await exited).toBe('SIGKILL')
  return last
}

describe('crash with a full outbox', () => {
  it('sends what a killed process had queued, in order, after a restart on the same data folder', async () => {
    const id = 'eng-crash'
    const queued = await produceOfflineThenKill(id, 15)
    expect((await api(lab, 'GET', `/devices/${id}`)).status).toBe(404) // it never reached the lab

    const openedAt = Date.now()
    const session = new DeviceSession(sessionOptions(lab, id, dataDir))
    try {
      expect(session.snapshot().counters.queued).toBeGreaterThanOrEqual(queued)
      // Reported patches still queued keep the time they were produced (a settings save, which
      // builds a new session, must not restamp them).
      const backlog = session.reportedLog()
      expect(backlog.length).toBeGreaterThan(0)
      for (const entry of backlog) {
        expect(entry.status).toBe('queued')
        expect(entry.at).toBeLessThan(openedAt)
      }
      await session.connect()
      await untilState(session, 'connected')
      await waitFor(
        'the backlog delivered',
        async () => (await labTelemetry(lab, id)).stats.count > queued,
      )
      await session.disconnect()
      const { messages, stats } = await labTelemetry(lab, id)
      expect(stats.firstSeq).toBe(1)
      expect(stats.missing).toEqual([])
      expect(stats.duplicates).toBe(0)
      // In order: the backlog first, oldest first, then what the new process produced.
      expect(messages.map((m) => m.seq)).toEqual(
        Array.from({ length: messages.length }, (_, i) => i + 1),
      )
      expect(session.recentTelemetry()[0]!.seq).toBeGreaterThan(queued)
    } finally {
      await session.close()
    }
  })

  it('a journal with mangled lines: said on the timeline, every readable item sent, numbering sane', async () => {
    const id = 'eng-mangled'
    const dir = mkdtempSync(join(tmpdir(), 'engine-mangled-'))
    try {
      const first = new DeviceSession(sessionOptions(lab, id, dir))
      await first.close()
      // What a hand edit or a bad disk can leave: the producer's own lines, then garbage.
      appendFileSync(
        join(dir, 'outbox.jsonl'),
        [
          '{"op":"add","id":1,"kind":"telemetry","at":1,"seq":1,"body":{"temperature":20}}',
          '{"op":"add","id":2,"kind":"telemetry","at":2,"seq":2,"body":{"temperature":21}}',
          'null',
          '{"op":"meta","lastId":"x","lastSeq":"x"}',
          '{"op":"add","id":9,"kind":"smoke-signal","at":1}',
          '',
        ].join('\n'),
      )
      const session = new DeviceSession(sessionOptions(lab, id, dir))
      try {
        expect(session.timeline().at(-1)!.cause).toEqual({
          code: 'outbox-unreadable',
          lines: 3,
          kept: 2,
        })
        await session.connect()
        await waitFor(
          'the two kept and new ones',
          async () => (await labTelemetry(lab, id)).stats.count >= 4,
        )
        await session.disconnect()
        const { messages, stats } = await labTelemetry(lab, id)
        expect(messages.slice(0, 2).map((m) => m.seq)).toEqual([1, 2])
        expect(stats).toMatchObject({ firstSeq: 1, missing: [], duplicates: 0 })
        expect(new Set(messages.map((m) => m.messageId)).size).toBe(messages.length)
      } finally {
        await session.close()
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
