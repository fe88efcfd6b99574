import { oneLine, RunError } from './errors'

// The lab's control API as the fleet uses it. Answers are read with a bound (a lab is local, but
// a wrong --lab-url may point at anything) and a timeout, and every failure is one line.

const maxAnswerBytes = 16 * 1024 * 1024
const defaultTimeoutMs = 10_000

export class LabClient {
  constructor(readonly url: string) {}

  async call<T>(
    method: string,
    path: string,
    body?: unknown,
    timeoutMs = defaultTimeoutMs,
  ): Promise<T> {
    const what = `lab ${method} ${path}`
    let res: Response
    try {
      res = await fetch(this.url + path, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      })
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } }
      const why =
        err.name === 'TimeoutError'
          ? `no answer within ${timeoutMs / 1000} s`
          : (err.cause?.code ?? err.cause?.message ?? err.message)
      throw new RunError(`${what}: cannot reach ${this.url} (${why})`)
    }
    const text = await readBounded(res, what)
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      throw new RunError(
        `${what}: answered ${res.status} with something that is not JSON: is ${this.url} a lab?`,
      )
    }
    if (!res.ok) {
      const err = (json as { error?: { message?: unknown } } | null)?.error
      throw new LabAnswer(
        res.status,
        `${what}: ${res.status} ${typeof err?.message === 'string' ? oneLine(err.message) : ''}`.trim(),
      )
    }
    return json as T
  }
}

/** The lab answered, with an error status. */
export class LabAnswer extends RunError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

async function readBounded(res: Response, what: string): Promise<string> {
  const reader = res.body?.getReader()
  if (!reader) return ''
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxAnswerBytes) {
      await reader.cancel().catch(() => {})
      throw new RunError(`${what}: the answer is larger than ${maxAnswerBytes} bytes`)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** Runs `f` over `items` with at most `width` at a time. */
export async function eachLimited<T>(
  items: T[],
  width: number,
  f: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) await f(items[next++]!)
  }
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker))
}
