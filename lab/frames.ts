import type { Duplex } from 'node:stream'

/**
 * Watches the MQTT packets a client sends, from their fixed headers alone, and reports a packet
 * the services would never accept before any of its body is buffered: the broker would otherwise
 * collect up to 256 MB for a single announced packet. Also reports QoS 2 publishes, on which IoT
 * Hub closes the connection.
 *
 * Listens to `data` after the broker has attached its `readable` listener, so it sees each chunk
 * as the broker reads it and never changes the stream's flow.
 */
export function watchMqttFrames(
  stream: Duplex,
  maxBytes: number,
  onViolation: (why: string) => void,
): void {
  let skip = 0
  let header: number[] = []
  let stopped = false
  const violation = (why: string) => {
    stopped = true
    onViolation(why)
  }
  stream.on('data', (chunk: Buffer) => {
    let i = 0
    while (!stopped && i < chunk.length) {
      if (skip > 0) {
        const take = Math.min(skip, chunk.length - i)
        skip -= take
        i += take
        continue
      }
      header.push(chunk[i++]!)
      if (header.length === 1) continue
      if (header.at(-1)! & 0x80) {
        if (header.length === 5) violation('a malformed packet length')
        continue
      }
      let length = 0
      for (let j = header.length - 1; j >= 1; j--) length = length * 128 + (header[j]! & 0x7f)
      const type = header[0]! >> 4
      const qos = (header[0]! >> 1) & 3
      header = []
      if (length > maxBytes) violation(`a ${length}-byte packet (over ${maxBytes})`)
      else if (type === 3 && qos === 2) violation('a QoS 2 publish')
      skip = length
    }
  })
}
