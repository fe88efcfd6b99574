export function foreground(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<{ status: number | null; signal: NodeJS.Signals | null; error?: Error }>
