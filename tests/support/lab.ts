import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { privateLabOptions, startLab } from '../../lab/index'
import { deriveDeviceKey, makeSasToken } from '../../lab/sas'
import type { LabHandle, LabOptions } from '../../lab/types'

/** A lab on ephemeral ports in a temp folder; stop() also removes the folder. */
export async function testLab(options: LabOptions = {}): Promise<LabHandle & { dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lab-test-'))
  const lab = await startLab({ ...privateLabOptions(dataDir), dpsRetryAfterSec: 0, ...options })
  const stop = lab.stop
  return Object.assign(lab, {
    dataDir,
    stop: async () => {
      await stop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  })
}

export async function api<T = unknown>(
  lab: { controlUrl: string },
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(lab.controlUrl + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as T }
}

export async function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  timeoutMs = 15_000,
  everyMs = 50,
): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await probe()
      if (v) return v as NonNullable<T>
      last = v
    } catch (e) {
      last = e
    }
    if (Date.now() > end)
      throw new Error(
        `timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`,
      )
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

type Facts = Pick<LabHandle, 'idScope' | 'groupPrimaryKey' | 'dpsHost' | 'ca'>

export function hubToken(
  lab: Pick<LabHandle, 'groupPrimaryKey'>,
  host: string,
  deviceId: string,
  se = Math.floor(Date.now() / 1000) + 3600,
): string {
  const key = deriveDeviceKey(lab.groupPrimaryKey, deviceId)
  return makeSasToken(key, encodeURIComponent(`${host}/devices/${deviceId}`), se)
}

/** A device speaking DPS's MQTT by hand, with a token that expires at `se`. */
export function rawDpsClient(
  lab: Facts,
  reg: string,
  se = Math.floor(Date.now() / 1000) + 3600,
): mqtt.MqttClient {
  const sr = `${lab.idScope}/registrations/${reg}`
  return mqtt.connect(`mqtts://${lab.dpsHost}`, {
    clientId: reg,
    username: `${sr}/api-version=2019-03-31`,
    password: makeSasToken(deriveDeviceKey(lab.groupPrimaryKey, reg), sr, se, 'registration'),
    ca: lab.ca,
    reconnectPeriod: 0,
  })
}

/** A device speaking IoT Hub's MQTT by hand (clean session 0, as the SDK connects). */
export function rawHubClient(
  lab: Facts,
  host: string,
  deviceId: string,
  opts: { keepalive?: number; password?: string } = {},
): mqtt.MqttClient {
  return mqtt.connect(`mqtts://${host}`, {
    clientId: deviceId,
    username: `${host}/${deviceId}/?api-version=2021-04-12`,
    password: opts.password ?? hubToken(lab, host, deviceId),
    ca: lab.ca,
    protocolVersion: 4,
    clean: false,
    keepalive: opts.keepalive ?? 60,
    reconnectPeriod: 0,
  })
}

/** Resolves on CONNACK 0; rejects with the refusal (its `code` is the CONNACK return code). */
export function connacked(c: mqtt.MqttClient): Promise<void> {
  return new Promise((resolve, reject) => {
    c.once('connect', () => resolve())
    c.once('error', reject)
    c.once('close', () => reject(new Error('closed before CONNACK')))
  })
}

export function closed(c: mqtt.MqttClient): Promise<void> {
  return new Promise((resolve) => (c.disconnected ? resolve() : c.once('close', () => resolve())))
}

/** Registers by hand: PUT, then poll until DPS answers something other than 202. */
export async function rawRegister(
  c: mqtt.MqttClient,
  body: string | Buffer,
): Promise<{ status: number; body: Record<string, unknown> }> {
  await c.subscribeAsync('$dps/registrations/res/#', { qos: 1 })
  let rid = 0
  const ask = (topic: string, payload: string | Buffer) =>
    new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
      const id = String(++rid)
      const onMessage = (t: string, p: Buffer) => {
        const m = /^\$dps\/registrations\/res\/(\d+)\/\?\$rid=([^&]+)/.exec(t)
        if (m?.[2] !== id) return
        c.off('message', onMessage)
        resolve({ status: Number(m[1]), body: JSON.parse(p.toString()) as Record<string, unknown> })
      }
      c.on('message', onMessage)
      c.once('close', () => reject(new Error('DPS closed the connection')))
      c.publish(topic.replace('{rid}', id), payload, { qos: 1 })
    })
  let r = await ask('$dps/registrations/PUT/iotdps-register/?$rid={rid}', body)
  while (r.status === 202) {
    r = await ask(
      `$dps/registrations/GET/iotdps-get-operationstatus/?$rid={rid}&operationId=${String(r.body.operationId)}`,
      ' ',
    )
  }
  return r
}
