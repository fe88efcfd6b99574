import { DeviceSession } from '../electron/device/index'
import { GroupCommit } from '../electron/device/group-commit'
import { Outbox, type NewItem } from '../electron/device/outbox'
import { Sender } from '../electron/device/sender'
import { type LabFacts, sessionOptions } from '../tests/integration/fixtures/engine'

// A device that cannot reach DPS, so everything it produces stays in its outbox; the bench
// kills it with SIGKILL mid-stream. It prints `queued <seq>` for each reading only once that
// reading is on disk, so every number printed is one the restarted device owes the hub. It stops
// at `stopAt` (past where the bench kills it) so its bounded outbox never drops anything.
//   session  the app's engine (DeviceSession), a reading every 2 ms, each journaled on its own
//   group    the engine's group commit: 500 readings per turn of the event loop, one fsync each

const { lab, deviceId, dataDir, mode, stopAt } = JSON.parse(process.env['BENCH_CRASH'] ?? '{}') as {
  lab: LabFacts
  deviceId: string
  dataDir: string
  mode: 'session' | 'group'
  stopAt: number
}
const limit = stopAt + 1000
const say = (seq: number) => process.stdout.write(`queued ${seq}\n`)

if (mode === 'session') {
  const session = new DeviceSession({
    ...sessionOptions(lab, deviceId, dataDir),
    provisioningHost: '127.0.0.1:1',
    periods: { telemetryMs: 2, reportedMs: 60_000 },
    behaviours: { reportedProperties: false },
    outboxLimit: limit,
  })
  session.on('telemetry', (t) => {
    say(t.seq)
    if (t.seq >= stopAt) session.setBehaviour('telemetry', false)
  })
  void session.connect()
} else {
  const outbox = new Outbox(dataDir, limit)
  const sender = new Sender(outbox, { sent: () => {}, acked: () => {}, refused: () => {} })
  const commit = new GroupCommit(outbox, sender, {
    dropped: () => {},
    failed: (e) => {
      throw e
    },
  })
  const reading = (): NewItem => ({ kind: 'telemetry', at: Date.now(), body: { temp: 21.5 } })
  let produced = 0
  const produce = () => {
    for (let i = 0; i < 500; i++)
      commit.add(reading(), (item) => item.kind === 'telemetry' && say(item.seq))
    produced += 500
    if (produced < stopAt) setImmediate(produce)
    else setInterval(() => {}, 60_000) // idle, offline, until killed
  }
  produce()
}
