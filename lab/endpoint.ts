import { createServer, type Server, type Socket } from 'node:net'
import { Duplex } from 'node:stream'
import { TLSSocket, createSecureContext, type SecureContext } from 'node:tls'
import { watchMqttFrames } from './frames'
import { contain } from './guard'
import { limits } from './limits'

export type EndpointMode = 'up' | 'killed' | 'blackholed'

interface Wire {
  cut(): void
  destroy(): void
}

/**
 * Stands between a network stream and the MQTT server so chaos can act on the wire:
 * `cut` makes the link silent in both directions while leaving the device's TCP connection
 * open — what a device sees when a data center drops off the network without a FIN.
 */
function wire(raw: Duplex): { inner: Duplex; control: Wire } {
  let cut = false
  const inner = new Duplex({
    read() {
      raw.resume()
    },
    write(chunk, _enc, cb) {
      if (cut || raw.destroyed) return cb()
      raw.write(chunk, () => cb())
    },
    final(cb) {
      if (!cut) raw.end()
      cb()
    },
    destroy(err, cb) {
      if (!cut) raw.destroy()
      cb(err)
    },
  })
  raw.on('data', (chunk: Buffer) => {
    if (cut) return
    if (!inner.push(chunk)) raw.pause()
  })
  raw.on('end', () => {
    if (!cut) inner.push(null)
  })
  raw.on('close', () => {
    if (!cut) inner.destroy()
  })
  raw.on('error', () => {})
  return {
    inner,
    control: {
      cut() {
        cut = true
        raw.resume() // keep draining so the device's writes do not stall on a full window
        inner.destroy()
      },
      destroy() {
        raw.destroy()
      },
    },
  }
}

/**
 * One TLS listener (DPS or a hub) with chaos switches. Also takes streams from elsewhere
 * (the WebSocket listener) so chaos applies to every transport alike.
 */
export class Endpoint {
  mode: EndpointMode = 'up'
  port = 0
  private server: Server | null = null
  private live = new Map<Wire, Duplex>()
  private held = new Set<Socket | Duplex>()
  private context: SecureContext

  constructor(
    readonly name: string,
    tls: { key: string; cert: string },
    private readonly handle: (stream: Duplex, via: 'tls' | 'ws') => void,
    private readonly log: (line: string) => void,
  ) {
    this.context = createSecureContext({ key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2' })
  }

  async listen(port: number): Promise<number> {
    this.port = await this.bind(port)
    return this.port
  }

  private bind(port: number): Promise<number> {
    const server = createServer((socket) =>
      contain(
        this.log,
        `${this.name} accept`,
        () => this.accept(socket),
        () => socket.destroy(),
      ),
    )
    this.server = server
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject)
        server.on('error', (e) => this.log(`${this.name}: ${e.message}`))
        resolve((server.address() as { port: number }).port)
      })
    })
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true)
    if (this.mode === 'blackholed') return this.hold(socket)
    const { inner, control } = wire(socket)
    const tls = new TLSSocket(inner as unknown as Socket, {
      isServer: true,
      secureContext: this.context,
    })
    tls.on('error', () => {}) // handshake failures are the client's problem; the server carries on
    this.track(control, socket)
    this.serve(tls, 'tls')
  }

  /** Hands a stream to the MQTT server, watching its packets; a fault closes this stream only. */
  private serve(stream: Duplex, via: 'tls' | 'ws'): void {
    contain(
      this.log,
      `${this.name} connection`,
      () => {
        this.handle(stream, via)
        watchMqttFrames(stream, limits.mqttPacketBytes, (why) => {
          this.log(`${this.name}: a client sent ${why}; closing its connection`)
          stream.destroy()
        })
      },
      () => stream.destroy(),
    )
  }

  /** For streams that arrive already decrypted (secure WebSockets). */
  acceptStream(stream: Duplex): void {
    if (this.mode === 'blackholed') return this.hold(stream)
    if (this.mode === 'killed') {
      stream.destroy()
      return
    }
    const { inner, control } = wire(stream)
    this.track(control, stream)
    this.serve(inner, 'ws')
  }

  private track(control: Wire, raw: Duplex): void {
    this.live.set(control, raw)
    raw.once('close', () => this.live.delete(control))
  }

  private hold(stream: Duplex): void {
    stream.on('error', () => {})
    stream.resume()
    this.held.add(stream)
    stream.once('close', () => this.held.delete(stream))
  }

  /** The data center loses power: connections reset, nothing listens. */
  async kill(): Promise<void> {
    this.mode = 'killed'
    this.dropAll()
    await this.closeServer()
  }

  /** The data center drops off the network: TCP accepted, nothing ever answered. */
  async blackhole(): Promise<void> {
    if (this.mode === 'killed') await this.bind(this.port)
    this.mode = 'blackholed'
    // Cut connections are now the device's to notice; hold their sockets so they stay silent.
    for (const [w, raw] of this.live) {
      w.cut()
      this.held.add(raw)
      raw.once('close', () => this.held.delete(raw))
    }
    this.live.clear()
  }

  async restore(): Promise<void> {
    if (this.mode === 'killed') await this.bind(this.port)
    this.mode = 'up'
    this.dropHeld()
  }

  private dropAll(): void {
    for (const w of this.live.keys()) w.destroy()
    this.live.clear()
    this.dropHeld()
  }

  private dropHeld(): void {
    for (const s of this.held) s.destroy()
    this.held.clear()
  }

  private closeServer(): Promise<void> {
    const server = this.server
    this.server = null
    if (!server) return Promise.resolve()
    return new Promise((resolve) => server.close(() => resolve()))
  }

  async stop(): Promise<void> {
    await this.kill()
  }
}
