export { startWebShell } from './server'
export type { WebShell, WebShellCore, WebShellOptions, WireRequest } from './server'
