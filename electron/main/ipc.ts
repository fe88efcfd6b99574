import {
  invokeChannels,
  parseRequest,
  type InvokeChannel,
  type Result,
} from '../../shared/contract'

/** The part of a WebFrameMain the sender check reads. */
export interface SenderFrameLike {
  url: string
  /** null for a top-level frame. */
  parent: unknown
}

/** The part of an IpcMainInvokeEvent the handlers read. */
export interface InvokeEventLike {
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
  /** True when the frame is our renderer's top-level document. */
  isTrustedSender(frame: SenderFrameLike | null): boolean
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
      if (!reg.isTrustedSender(event.senderFrame)) {
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
 * Builds the sender check for a renderer loaded from a file (production) or from the dev server
 * (electron-vite dev, ELECTRON_RENDERER_URL). Only the top-level frame of that document passes.
 */
export function trustedSenderCheck(
  rendererUrl: string,
): (frame: SenderFrameLike | null) => boolean {
  const expected = new URL(rendererUrl)
  return (frame) => {
    if (!frame || frame.parent) return false
    let url: URL
    try {
      url = new URL(frame.url)
    } catch {
      return false
    }
    if (expected.protocol === 'file:')
      return url.protocol === 'file:' && url.pathname === expected.pathname
    return url.origin === expected.origin
  }
}
