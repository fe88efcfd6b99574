import common from 'azure-iot-common'
import { model } from '../tests/integration/fixtures/engine'
import { derivedKey, hubClient, reading, register } from './sdk'
import { type Bench, stats } from './setup'

/**
 * The floor: what the bare SDK needs from nothing to a first acknowledged reading — a DPS
 * registration (TLS connect, register, wait retry-after, poll), a TLS connect to the assigned
 * hub, one telemetry message and its PUBACK. No failover can cost less on this lab: it needs at
 * least this much after it has noticed the loss. New clients (new TLS handshakes) every run.
 */
export async function benchFloor(bench: Bench) {
  const { lab, o } = bench
  const deviceId = 'bench-floor'
  const key = derivedKey(lab.groupPrimaryKey, deviceId)
  const dps = { provisioningHost: lab.dpsHost, idScope: lab.idScope, ca: lab.ca }
  const registerMs: number[] = []
  const connectMs: number[] = []
  const sendMs: number[] = []
  const totalMs: number[] = []
  for (let i = 0; i < o.runs; i++) {
    const t0 = performance.now()
    const assigned = await register(dps, deviceId, key, model.id)
    const t1 = performance.now()
    const client = hubClient(assigned.assignedHub, assigned.deviceId, key)
    client.setRetryPolicy(new common.NoRetry())
    client.on('error', () => {})
    await client.setOptions({ ca: lab.ca, modelId: model.id })
    await client.open()
    const t2 = performance.now()
    await client.sendEvent(reading(deviceId, i + 1))
    const t3 = performance.now()
    await client.close()
    registerMs.push(Math.round(t1 - t0))
    connectMs.push(Math.round(t2 - t1))
    sendMs.push(Math.round(t3 - t2))
    totalMs.push(Math.round(t3 - t0))
  }
  return {
    runs: o.runs,
    dpsRetryAfterSec: o.dpsRetryAfter,
    totalMs: stats(totalMs),
    registerMs: stats(registerMs),
    connectMs: stats(connectMs),
    firstAckMs: stats(sendMs),
  }
}
