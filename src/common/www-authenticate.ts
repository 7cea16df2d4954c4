/**
 * An HTTP error that tells the client how to authenticate (RFC 9110 §11.6.1): the exception filter
 * sends `wwwAuthenticate` as the WWW-Authenticate header without knowing which scheme raised it.
 */
export interface AuthenticationChallenge {
  readonly wwwAuthenticate: string;
}

export function isAuthenticationChallenge(exception: unknown): exception is AuthenticationChallenge {
  return typeof (exception as Partial<AuthenticationChallenge> | null)?.wwwAuthenticate === 'string';
}
