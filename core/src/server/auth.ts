import { randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh 256-bit token, hex. */
export function newToken(): string {
  return randomBytes(32).toString('hex');
}

/** Whether `given` is the token, compared in constant time. */
export function tokenMatches(given: string | undefined, token: string): boolean {
  if (!given || given.length !== token.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(token));
}

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Whether a Host header names this machine's loopback on our port. A page on another site that
 * rebinds its DNS name to 127.0.0.1 still sends its own name: refused, whatever the token.
 */
export function isLoopbackHost(host: string | undefined, port: number): boolean {
  if (!host) return false;
  const at = host.lastIndexOf(':');
  const name = at > 0 && !host.endsWith(']') ? host.slice(0, at) : host;
  const givenPort = at > 0 && !host.endsWith(']') ? Number(host.slice(at + 1)) : 80;
  return LOOPBACK_NAMES.has(name.toLowerCase()) && givenPort === port;
}
