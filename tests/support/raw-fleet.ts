import type mqtt from 'mqtt'
import { rawHubClient } from './lab'

// Many devices speaking IoT Hub's MQTT by hand (mqtt.js, as the SDK's wire is), each on the hub
// its registration named: what loads a lab without an engine per device.

export interface RawFleet {
  clients: mqtt.MqttClient[]
  /** From the first CONNECT to the last CONNACK. */
  connectMs: number
  /** From then to the last telemetry PUBACK. */
  sendMs: number
  close(): Promise<void>
}

/**
 * Connects every device (at most `inFlight` handshakes at once), then has each send `messages`
 * telemetry messages with the engine's `seq` and `{deviceId}-{seq}` id, QoS 1, and waits for
 * every PUBACK. A device the hub refuses fails the whole fleet: it is a test's fact to report.
 */
export async function connectRawFleet(
  lab: { idScope: string; groupPrimaryKey: string; dpsHost: string; ca: string },
  hosts: Record<string, string>,
  o: { messages: number; inFlight?: number },
): Promise<RawFleet> {
  const ids = Object.keys(hosts)
  const clients: mqtt.MqttClient[] = []
  const close = async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)))
  }
  const started = Date.now()
  try {
    let next = 0
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++]!
        const c = rawHubClient(lab, hosts[id]!, id, { keepalive: 600 })
        clients.push(c)
        await new Promise<void>((resolve, reject) => {
          c.once('connect', () => resolve())
          c.once('error', reject)
          c.once('close', () => reject(new Error(`${id}: closed before CONNACK`)))
        })
        c.removeAllListeners('error')
        c.on('error', () => {})
      }
    }
    await Promise.all(Array.from({ length: Math.min(o.inFlight ?? 100, ids.length) }, worker))
    const connected = Date.now()
    await Promise.all(
      clients.map(async (c, i) => {
        const id = ids[i]!
        for (let seq = 1; seq <= o.messages; seq++) {
          const bag = `%24.mid=${encodeURIComponent(`${id}-${seq}`)}&%24.ct=application%2Fjson&%24.ce=utf-8&seq=${seq}`
          await c.publishAsync(
            `devices/${id}/messages/events/${bag}`,
            JSON.stringify({ temp: 20 + (seq % 10), humidity: 40 }),
            { qos: 1 },
          )
        }
      }),
    )
    return {
      clients,
      connectMs: connected - started,
      sendMs: Date.now() - connected,
      close,
    }
  } catch (e) {
    await close()
    throw e
  }
}
