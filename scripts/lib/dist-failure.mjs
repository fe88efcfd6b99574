// Reading electron-builder's output when `npm run dist` fails. electron-builder downloads the
// Electron build it packages (and some packaging tools) itself; offline, it ends with a network
// error and a whole stack trace. That case becomes one line saying what could not be fetched.

const networkError =
  /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|socket hang up|fetch failed|RequestError|HTTPError|Response code \d{3}|certificate|proxy/i

/** The lines from electron-builder's first error (⨯) on, or [] when there is none. */
export function errorBlock(lines) {
  const at = lines.findIndex((l) => l.includes('⨯'))
  return at === -1 ? [] : lines.slice(at)
}

/** electron-builder's `key=value` fields of a log line. */
function fields(line) {
  return Object.fromEntries([...line.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]))
}

/**
 * One line for a failed `npm run dist` that failed on a download, or null for any other failure
 * (then electron-builder's own words are worth showing as they are).
 * lines: everything electron-builder printed, in order.
 */
export function distDownloadFailure(lines) {
  const block = errorBlock(lines)
  if (!block.length) return null
  const head = block[0].replace(/^\s*⨯\s*/, '')
  const reason = head.split(/\s+(?:failedTask|stackTrace)=/)[0].trim()
  if (!networkError.test(head)) return null

  // What it was fetching: the last tool download it announced, or the Electron it was packaging.
  const before = lines.slice(0, lines.indexOf(block[0]))
  const last =
    before.findLast((l) => /•\s+downloading\b.*\burl=/.test(l) || /•.*\belectron=/.test(l)) ?? ''
  const f = fields(last)
  if (/\bdownloading\b/.test(last) && f.url) {
    const file = f.url.split('/').pop()
    return `npm run dist: electron-builder could not download its packaging tool ${file}: ${reason}. It needs the network once (then the tool is cached).`
  }
  const what = f.electron ? `Electron ${f.electron} for ${f.platform}-${f.arch}` : 'Electron'
  return `npm run dist: electron-builder could not download ${what}, which it packages the app with: ${reason}. It needs the network once (then it is cached), or ELECTRON_MIRROR, or -c.electronDist=<an unpacked Electron>.`
}
