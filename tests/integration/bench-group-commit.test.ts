import * as nodeFs from 'node:fs'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { GroupCommit } from '../../electron/device/group-commit'
import type { HubLink } from '../../electron/device/hub-link'
import { Outbox, type OutboxFs, type OutboxItem } from '../../electron/device/outbox'
import { Sender } from '../../electron/device/sender'

// The group commit the throughput bench measures: what one turn produces shares one fsync, and
// nothing reaches the wire, or its producer, before it is on disk.

let dir: string
let log: string[]
let outbox: Outbox
let sender: Sender

/** node:fs, logging the writes and syncs of the journal in order with the sends. */
const fs: OutboxFs = {
  ...nodeFs,
  writeSync: ((...a: unknown[]) => {
    log.push('write')
    return (nodeFs.writeSync as (...b: unknown[]) => number)(...a)
  }) as OutboxFs['writeSync'],
  fdatasyncSync: (fd) => {
    log.push('fsync')
    nodeFs.fdatasyncSync(fd)
  },
}

const link = {
  alive: true,
  sendTelemetry: (seq: number) => {
    log.push(`send ${seq}`)
    return new Promise<void>(() => {})
  },
} as unknown as HubLink

const reading = (n: number) => ({ kind: 'telemetry' as const, at: n, body: { temp: n } })
const turn = () => new Promise((r) => setImmediate(r))

beforeEach(() => {
  log = []
  dir = mkdtempSync(join(tmpdir(), 'group-commit-'))
  outbox = new Outbox(dir, 10_000, { fs })
  sender = new Sender(outbox, { sent: () => {}, acked: () => {}, refused: () => {} })
  sender.attach(link)
  log = []
})
afterEach(() => {
  outbox.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('GroupCommit', () => {
  it('journals what one turn produces with one write and one fsync, then sends it, in order', async () => {
    const commit = new GroupCommit(outbox, sender, { dropped: () => {}, failed: () => {} })
    for (let i = 1; i <= 5; i++)
      commit.add(reading(i), (item) =>
        log.push(`journaled ${item.kind === 'telemetry' && item.seq}`),
      )
    expect(log).toEqual([]) // nothing written, sent or reported within the turn
    await turn()
    expect(log).toEqual([
      'write',
      'fsync',
      ...[1, 2, 3, 4, 5].map((n) => `journaled ${n}`),
      ...[1, 2, 3, 4, 5].map((n) => `send ${n}`),
    ])
  })

  it('commits a burst bigger than a group one group per turn, each on disk before it is sent', async () => {
    const commit = new GroupCommit(outbox, sender, { dropped: () => {}, failed: () => {} }, 2)
    for (let i = 1; i <= 5; i++) commit.add(reading(i))
    await turn()
    expect(log).toEqual(['write', 'fsync', 'send 1', 'send 2'])
    commit.flush() // what a closing session does: the rest at once
    expect(log.slice(4)).toEqual(['write', 'fsync', 'send 3', 'send 4', 'write', 'fsync', 'send 5'])
    await turn()
    expect(log).toHaveLength(11)
    outbox.close()
    expect(new Outbox(dir, 100).size).toBe(5)
  })

  it('a group the disk refuses is reported whole, numbered nowhere, and never sent', async () => {
    const failing = {
      ...fs,
      fdatasyncSync: () => {
        throw Object.assign(new Error('EIO'), { code: 'EIO' })
      },
    }
    outbox.close()
    outbox = new Outbox(dir, 100, { fs: failing })
    sender = new Sender(outbox, { sent: () => {}, acked: () => {}, refused: () => {} })
    sender.attach(link)
    const failed: { error: string; count: number }[] = []
    const commit = new GroupCommit(outbox, sender, {
      dropped: () => {},
      failed: (e, inputs) => failed.push({ error: e.message, count: inputs.length }),
    })
    const told: OutboxItem[] = []
    commit.add(reading(1), (item) => told.push(item))
    commit.add(reading(2), (item) => told.push(item))
    await turn()
    expect(failed).toEqual([{ error: 'EIO', count: 2 }])
    expect(told).toEqual([])
    expect(log.filter((l) => l.startsWith('send'))).toEqual([])
    expect(outbox.size).toBe(0)
  })
})
