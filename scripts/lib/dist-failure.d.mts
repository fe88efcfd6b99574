export function errorBlock(lines: string[]): string[]
export function distDownloadFailure(lines: string[]): string | null
