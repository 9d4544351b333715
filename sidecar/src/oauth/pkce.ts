import { createHash, randomBytes } from 'node:crypto';

/**
 * PKCE (RFC 7636) with S256 only: a 64-character verifier of the unreserved alphabet
 * (base64url of 48 random bytes) and its unpadded base64url SHA-256 as the challenge.
 */
export function newVerifier(): string {
  return randomBytes(48).toString('base64url');
}

export function challengeS256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** 256 random bits: unguessable, single-use, bound to a user and a connection server-side. */
export function newState(): string {
  return randomBytes(32).toString('base64url');
}
