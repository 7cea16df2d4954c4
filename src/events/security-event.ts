/**
 * API.md, Security events: every type a user may see. Some belong to features built beside this
 * one (second factors, passkeys, phone verification, SMS limits); they are recorded where those
 * features make their change.
 */
export const SECURITY_EVENT_TYPES = [
  'login',
  'login_failed',
  'mfa_failed',
  'refresh_reuse',
  'password_changed',
  'password_reset',
  'email_verified',
  'phone_verified',
  'mfa_enabled',
  'mfa_disabled',
  'passkey_added',
  'passkey_removed',
  'session_revoked',
  'sms_suppressed',
] as const;
export type SecurityEventType = (typeof SECURITY_EVENT_TYPES)[number];

/**
 * Refusals: nothing changes, so there is no transaction to write them in, and an attacker decides
 * how many there are. They go through the bounded, batched RefusalBuffer instead.
 */
export const REFUSAL_TYPES = ['login_failed', 'mfa_failed', 'sms_suppressed'] as const satisfies readonly SecurityEventType[];
export type RefusalType = (typeof REFUSAL_TYPES)[number];

/** Events of a change, written in the change's own transaction. */
export type ChangeType = Exclude<SecurityEventType, RefusalType>;

/** Who and where: the account, the session where there is one, the client's address and user agent. */
export interface EventContext {
  userId: string;
  sessionId?: string | null;
  ip: string | null;
  userAgent: string | null;
}
