/** A saved secret as it sits in settings.json: sealed by the OS keychain, or plain text. */
export interface SealedSecret {
  scheme: 'safeStorage' | 'plain'
  data: string
}

/**
 * Seals the keys the app must keep. The Electron shell backs it with `safeStorage` (the OS
 * keychain); where there is none (the web shell, a Linux desktop without a keyring) the text is
 * kept as is, in an owner-only file, and Settings says so.
 */
export interface SecretBox {
  readonly encrypted: boolean
  /** In words, for the Settings dialog: how saved keys are protected here. */
  readonly how: string
  seal(plain: string): SealedSecret
  /** Throws when the secret cannot be opened here (another machine, another keychain). */
  open(secret: SealedSecret): string
}

/** No keychain: the key stays readable by this user only (the file is 0600). */
export function plainSecretBox(why: string): SecretBox {
  return {
    encrypted: false,
    how: `not encrypted (${why}); kept in a file only your user account can read`,
    seal: (plain) => ({ scheme: 'plain', data: plain }),
    open(secret) {
      if (secret.scheme !== 'plain')
        throw new Error(
          'this key was encrypted by the desktop app’s keychain and cannot be read here',
        )
      return secret.data
    },
  }
}

/** The part of Electron's safeStorage the box uses. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean
  encryptString(plain: string): Buffer
  decryptString(data: Buffer): string
  getSelectedStorageBackend?(): string
}

/**
 * safeStorage when it really encrypts. On Linux without a keyring Electron falls back to a
 * hard-coded password ("basic_text"): that is obfuscation, not protection, so it counts as none.
 */
export function safeStorageBox(safe: SafeStorageLike, platform: NodeJS.Platform): SecretBox {
  const backend = platform === 'linux' ? safe.getSelectedStorageBackend?.() : undefined
  if (!safe.isEncryptionAvailable() || backend === 'basic_text' || backend === 'unknown')
    return plainSecretBox(
      platform === 'linux'
        ? 'no keyring such as GNOME Keyring or KWallet is running'
        : 'the system keychain is not available',
    )
  const where =
    platform === 'darwin'
      ? 'the macOS Keychain'
      : platform === 'win32'
        ? 'Windows DPAPI'
        : `the ${backend ?? 'system'} keyring`
  return {
    encrypted: true,
    how: `encrypted with ${where}`,
    seal: (plain) => ({
      scheme: 'safeStorage',
      data: safe.encryptString(plain).toString('base64'),
    }),
    open(secret) {
      if (secret.scheme === 'plain') return secret.data
      return safe.decryptString(Buffer.from(secret.data, 'base64'))
    },
  }
}
