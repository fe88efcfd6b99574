import type { IpcMainLike, InvokeEventLike } from '../../../electron/main/ipc'
import type { IpcRendererLike } from '../../../electron/preload/api'

type Handler = (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>
type Listener = (event: unknown, ...args: unknown[]) => void

/**
 * Electron's ipcMain / ipcRenderer stood in by an in-process pair. Like the real thing, every
 * value crosses by structured clone, an invoke with no handler rejects, and the main side sees
 * the sender's frame.
 */
export class IpcPair {
  readonly handlers = new Map<string, Handler>()
  private readonly listeners = new Map<string, Set<Listener>>()
  /** Every payload the renderer side received, for "the key never crosses" checks. */
  readonly received: unknown[] = []

  readonly main: IpcMainLike = {
    handle: (channel, listener) => {
      if (this.handlers.has(channel))
        throw new Error(`Attempted to register a second handler for '${channel}'`)
      this.handlers.set(channel, listener)
    },
    removeHandler: (channel) => {
      this.handlers.delete(channel)
    },
  }

  /** A renderer whose calls come from the web contents and frame of `from`. */
  renderer(from: InvokeEventLike): IpcRendererLike {
    return {
      invoke: async (channel, ...args) => {
        const h = this.handlers.get(channel)
        if (!h)
          throw new Error(
            `Error invoking remote method '${channel}': No handler registered for '${channel}'`,
          )
        const result = structuredClone(await h(from, ...structuredClone(args)))
        this.received.push(result)
        return result
      },
      on: (channel, listener) => {
        let set = this.listeners.get(channel)
        if (!set) this.listeners.set(channel, (set = new Set()))
        set.add(listener)
      },
      removeListener: (channel, listener) => {
        this.listeners.get(channel)?.delete(listener)
      },
    }
  }

  /** webContents.send */
  send(channel: string, payload: unknown): void {
    const copy = structuredClone(payload)
    this.received.push(copy)
    for (const l of this.listeners.get(channel) ?? [])
      l({ sender: 'fake-ipc-renderer-event' }, copy)
  }

  listenerCount(channel: string): number {
    return this.listeners.get(channel)?.size ?? 0
  }
}
