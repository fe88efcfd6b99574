export function renderPixels(): Buffer
export function renderIcon(): Buffer
