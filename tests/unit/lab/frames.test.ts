import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { watchMqttFrames } from '../../../lab/frames'

function watched(max: number) {
  const stream = new PassThrough()
  const seen: string[] = []
  // Like the broker: a `readable` listener that reads, before the watcher attaches.
  stream.on('readable', () => {
    while (stream.read() !== null);
  })
  watchMqttFrames(stream, max, (why) => seen.push(why))
  return { stream, seen }
}

const publish = (qos: number, body: Buffer) =>
  Buffer.concat([Buffer.from([0x30 | (qos << 1), body.length]), body])

describe('the MQTT frame watcher', () => {
  it('lets packets within the bound pass, across chunk boundaries', async () => {
    const { stream, seen } = watched(100)
    const bytes = Buffer.concat([
      publish(1, Buffer.alloc(50)),
      publish(0, Buffer.alloc(100)),
      Buffer.from([0xc0, 0]),
    ])
    for (let i = 0; i < bytes.length; i += 7) stream.write(bytes.subarray(i, i + 7))
    await new Promise((r) => setImmediate(r))
    expect(seen).toEqual([])
  })

  it('reports a packet announced over the bound from its header alone', async () => {
    const { stream, seen } = watched(1000)
    stream.write(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]))
    await new Promise((r) => setImmediate(r))
    expect(seen).toEqual(['a 268435455-byte packet (over 1000)'])
  })

  it('reports a QoS 2 publish and a length of more than four bytes', async () => {
    const a = watched(1000)
    a.stream.write(publish(2, Buffer.alloc(5)))
    const b = watched(1000)
    b.stream.write(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01]))
    await new Promise((r) => setImmediate(r))
    expect([a.seen, b.seen]).toEqual([['a QoS 2 publish'], ['a malformed packet length']])
  })
})
