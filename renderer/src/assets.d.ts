// Vite turns CSS imports into a stylesheet link.
declare module '*.css'
