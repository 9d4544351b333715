/**
 * What a verifier throws. The receive route maps each to one catalogue code; messages say
 * what was wrong with the request and never include a secret or an expected signature.
 */

/** Missing or wrong signature, stale timestamp, replayed token, untrusted certificate: 401. */
export class SignatureError extends Error {
  override name = 'SignatureError';
}

/** The request is authentic (or cannot be checked yet) but its content is unusable: 400. */
export class MalformedError extends Error {
  override name = 'MalformedError';
}

/** A dependency the check needs (certificate host, SNS confirmation URL) did not answer: 503. */
export class UpstreamError extends Error {
  override name = 'UpstreamError';
}

/** A single-use token seen before: the request is a replay (401, already counted by the store). */
export class ReplayError extends SignatureError {
  override name = 'ReplayError';
}
