import { spawn } from 'node:child_process'
import { once } from 'node:events'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

// `npm start` runs the app as a child in the foreground. Told to stop on its own pid (a service
// manager, `kill <pid>`), it must stop the app too, not leave it running.

const root = path.resolve(import.meta.dirname, '../../..')

describe('a launcher running the app in the foreground', () => {
  it('passes a SIGTERM sent to it alone on to the app, and ends when the app has', async () => {
    const app = `process.on('SIGTERM', () => { console.log('app stopping'); process.exit(0) }); console.log('app ready'); setInterval(() => {}, 1000)`
    const launcher = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { foreground } from ${JSON.stringify(path.join(root, 'scripts/lib/foreground.mjs'))}
         const r = await foreground(process.execPath, ['-e', ${JSON.stringify(app)}], process.env, process.cwd())
         console.log('launcher done', r.status)`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    let out = ''
    launcher.stdout.setEncoding('utf8')
    const ready = new Promise<void>((resolve) =>
      launcher.stdout.on('data', (d: string) => {
        out += d
        if (out.includes('app ready')) resolve()
      }),
    )
    await ready
    launcher.kill('SIGTERM')
    const [code] = await once(launcher, 'close')
    expect(out).toMatch(/app stopping[\s\S]*launcher done 0/)
    expect(code).toBe(0)
  })
})
