import {
  invokeChannels,
  parseRequest,
  type InvokeChannel,
  type Result,
} from '../../shared/contract'

/** The part of a WebFrameMain the sender check reads. */
export interface SenderFrameLike {
  processId: number
  routingId: number
  /** null for a top-level frame. */
  parent: unknown
  url?: string
}

/** The part of a WebContents the sender check reads. */
export interface SenderContentsLike {
  id: number
  mainFrame: SenderFrameLike
}

/** The part of an IpcMainInvokeEvent the handlers read. */
export interface InvokeEventLike {
  sender: SenderContentsLike
  senderFrame: SenderFrameLike | null
}

/** The part of Electron's ipcMain used here, so tests can stand in an in-process pair. */
export interface IpcMainLike {
  handle(
    channel: string,
    listener: (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>,
  ): void
  removeHandler(channel: string): void
}

export interface IpcRegistration {
  /** Runs a parsed, validated request (AppCore.invoke in the app). */
  invoke(channel: InvokeChannel, request: unknown): Promise<Result<unknown>>
  /** True when the call came from our window's top-level document. */
  isTrustedSender(event: InvokeEventLike): boolean
  log?: (line: string) => void
}

/**
 * Registers one ipcMain.handle per contract channel. Each handler first checks that the call
 * came from our renderer's top frame, then parses the request with the channel's zod schema;
 * either failure answers with a typed error envelope (the renderer never sees a throw).
 * Returns a function that removes the handlers.
 */
export function registerIpcHandlers(ipcMain: IpcMainLike, reg: IpcRegistration): () => void {
  const channels = Object.keys(invokeChannels) as InvokeChannel[]
  for (const channel of channels) {
    ipcMain.handle(channel, async (event, ...args) => {
      if (!reg.isTrustedSender(event)) {
        reg.log?.(`refused ${channel} from ${event.senderFrame?.url ?? 'a destroyed frame'}`)
        return refused(channel)
      }
      if (args.length > 1) {
        return {
          ok: false,
          error: { code: 'bad-request', message: `${channel} takes at most one argument` },
        } satisfies Result<never>
      }
      const parsed = parseRequest(channel, args[0])
      if (!parsed.ok) return parsed
      return reg.invoke(channel, parsed.value)
    })
  }
  return () => {
    for (const channel of channels) ipcMain.removeHandler(channel)
  }
}

function refused(channel: string): Result<never> {
  return {
    ok: false,
    error: {
      code: 'bad-request',
      message: `${channel} refused: the call did not come from the app's window`,
    },
  }
}

/**
 * The sender check: a call is ours when it comes from the main window's own web contents and from
 * that contents' main frame — by identity, not by URL text (a Chromium file URL and Node's
 * pathToFileURL escape `[ ] ~ %` and Windows drive letters differently, which once refused every
 * call from a folder like C:\Users\JANEDO~1). Subframes and other windows never pass.
 */
export function windowSenderCheck(
  window: () => SenderContentsLike | null,
): (event: InvokeEventLike) => boolean {
  return (event) => {
    const contents = window()
    const frame = event.senderFrame
    if (!contents || !frame || frame.parent) return false
    if (event.sender !== contents && event.sender.id !== contents.id) return false
    const main = contents.mainFrame
    return (
      frame === main || (frame.processId === main.processId && frame.routingId === main.routingId)
    )
  }
}
