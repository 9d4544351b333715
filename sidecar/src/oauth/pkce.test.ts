import { describe, expect, it } from 'vitest';
import { challengeS256, newState, newVerifier } from './pkce';

describe('PKCE', () => {
  it('matches the RFC 7636 appendix B example', () => {
    expect(challengeS256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('makes 43–128 character verifiers of the unreserved alphabet, and distinct states', () => {
    const v = newVerifier();
    expect(v).toMatch(/^[A-Za-z0-9\-._~]{43,128}$/);
    expect(newState()).not.toBe(newState());
  });
});
