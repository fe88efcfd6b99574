import mqtt from 'mqtt'
import { join } from 'node:path'
import { Outbox } from '../electron/device/outbox'
import { deriveDeviceKey, makeSasToken } from '../lab/sas'
import { type Bench, control, until } from './setup'

/**
 * Telemetry throughput on the same lab hub: our engine draining an outbox backlog of `n`
 * messages (journal, ordered window, PUBACK tracking) against raw mqtt.js publishing `n` QoS 1
 * messages of the same shape as fast as it can.
 */
export async function benchThroughput(bench: Bench, n: number) {
  const { lab } = bench
  const body = { temp: 21.5, humidity: 40.25 }

  // Engine: fill the journal as an offline device would, then connect and drain it.
  const deviceId = 'bench-throughput'
  const outbox = new Outbox(join(bench.dir, 'devices', deviceId), n + 10)
  for (let i = 0; i < n; i++) outbox.add({ kind: 'telemetry', at: Date.now(), body })
  outbox.close()
  const session = bench.session(deviceId, { behaviours: { telemetry: false, reportedProperties: false }, outboxLimit: n + 10 })
  await session.connect()
  await until('connected', () => session.snapshot().state.kind === 'connected')
  const start = Date.now()
  await until('backlog drained', () => session.snapshot().counters.acknowledged >= n, 120_000)
  const engineMs = Date.now() - start
  await session.close()

  // Raw mqtt.js against the same hub, as a registered device of the same enrollment.
  const rawId = 'bench-raw'
  lab.state.register(rawId)
  const host = lab.hubs[lab.state.devices.get(rawId)!.homeHub].host
  const key = deriveDeviceKey(lab.groupPrimaryKey, rawId)
  const client = await mqtt.connectAsync(`mqtts://${host}`, {
    clientId: rawId,
    username: `${host}/${rawId}/?api-version=2021-04-12`,
    password: makeSasToken(key, encodeURIComponent(`${host}/devices/${rawId}`), Math.floor(Date.now() / 1000) + 3600),
    ca: lab.ca,
    clean: false,
    reconnectPeriod: 0,
  })
  const payload = JSON.stringify(body)
  const rawStart = Date.now()
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      client.publishAsync(`devices/${rawId}/messages/events/%24.mid=${rawId}-${i + 1}&%24.ct=application%2Fjson&%24.ce=utf-8&seq=${i + 1}`, payload, { qos: 1 }),
    ),
  )
  const rawMs = Date.now() - rawStart
  await client.endAsync()

  const received = async (id: string) => (await control<{ stats: { unique: number } }>(lab, 'GET', `/devices/${id}/telemetry`, undefined)).stats.unique
  return {
    messages: n,
    engine: { ms: engineMs, perSecond: Math.round((n / engineMs) * 1000), receivedUnique: await received(deviceId) },
    rawMqttJs: { ms: rawMs, perSecond: Math.round((n / rawMs) * 1000), receivedUnique: await received(rawId) },
  }
}
