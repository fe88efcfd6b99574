import { spawn } from 'node:child_process'

/**
 * Runs a long-lived child in the foreground and resolves when it has shut down. Ctrl+C goes to
 * the whole process group, the child included, so this process only waits for it. A SIGTERM or
 * SIGHUP sent to this process alone (a service manager, `kill <pid>`) is passed on to the child,
 * which would otherwise keep running after its launcher was told to stop.
 */
export function foreground(command, args, env, cwd) {
  return new Promise((resolve) => {
    const ignore = () => undefined
    const pass = (signal) => child.kill(signal)
    process.on('SIGINT', ignore)
    process.on('SIGTERM', pass)
    process.on('SIGHUP', pass)
    const child = spawn(command, args, { stdio: 'inherit', env, cwd })
    let error
    child.on('error', (e) => (error = e))
    child.on('close', (status, signal) => {
      process.off('SIGINT', ignore)
      process.off('SIGTERM', pass)
      process.off('SIGHUP', pass)
      resolve({ status, signal, error })
    })
  })
}
