import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import forge from 'node-forge'

export interface LabCerts {
  ca: string
  caPath: string
  key: string
  cert: string
}

// Hubs on extra loopback addresses serve the WebSocket transport, which always dials port 443.
export const certIps = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '::1']

/** Loads the lab's CA and server certificate from dataDir, creating them on first start. */
export function ensureCerts(dataDir: string): LabCerts {
  mkdirSync(dataDir, { recursive: true })
  const caPath = join(dataDir, 'ca.pem')
  const keyPath = join(dataDir, 'server-key.pem')
  const certPath = join(dataDir, 'server-cert.pem')
  if (existsSync(caPath) && existsSync(keyPath) && existsSync(certPath)) {
    const cert = readFileSync(certPath, 'utf8')
    if (stillValid(cert)) {
      return { ca: readFileSync(caPath, 'utf8'), caPath, key: readFileSync(keyPath, 'utf8'), cert }
    }
  }
  const made = makeCerts()
  writeFileSync(caPath, made.ca)
  writeFileSync(keyPath, made.key, { mode: 0o600 })
  writeFileSync(certPath, made.cert)
  return { ...made, caPath }
}

function stillValid(pem: string): boolean {
  try {
    const c = forge.pki.certificateFromPem(pem)
    const ips = (
      c.getExtension('subjectAltName') as { altNames?: { ip?: string }[] } | null
    )?.altNames
      ?.map((a) => a.ip)
      .filter(Boolean)
    return (
      c.validity.notAfter.getTime() > Date.now() + 86_400_000 &&
      certIps.every((ip) => ips?.includes(ip))
    )
  } catch {
    return false
  }
}

function makeCerts(): Omit<LabCerts, 'caPath'> {
  const now = new Date()
  const later = new Date(now.getTime() + 5 * 365 * 86_400_000)

  const caKeys = forge.pki.rsa.generateKeyPair(2048)
  const ca = forge.pki.createCertificate()
  ca.publicKey = caKeys.publicKey
  ca.serialNumber = serial()
  ca.validity.notBefore = new Date(now.getTime() - 3_600_000)
  ca.validity.notAfter = later
  const caName = [{ name: 'commonName', value: 'IoT Central HA lab CA' }]
  ca.setSubject(caName)
  ca.setIssuer(caName)
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ])
  ca.sign(caKeys.privateKey, forge.md.sha256.create())

  const keys = forge.pki.rsa.generateKeyPair(2048)
  const cert = forge.pki.createCertificate()
  cert.publicKey = keys.publicKey
  cert.serialNumber = serial()
  cert.validity.notBefore = new Date(now.getTime() - 3_600_000)
  cert.validity.notAfter = later
  cert.setSubject([{ name: 'commonName', value: 'localhost' }])
  cert.setIssuer(caName)
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [{ type: 2, value: 'localhost' }, ...certIps.map((ip) => ({ type: 7, ip }))],
    },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
  ])
  cert.sign(caKeys.privateKey, forge.md.sha256.create())

  return {
    ca: forge.pki.certificateToPem(ca),
    key: forge.pki.privateKeyToPem(keys.privateKey),
    cert: forge.pki.certificateToPem(cert),
  }
}

function serial(): string {
  // Positive, 16 bytes: some TLS stacks reject negative or zero serials.
  return '01' + forge.util.bytesToHex(forge.random.getBytesSync(15))
}
