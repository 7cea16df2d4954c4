import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Environment } from '../config/environment.js';
import { Db, type Tx } from '../database/db.js';
import { type ComposedMail, MailChannel } from '../notifications/mail/mail.channel.js';
import { describeDevice } from './device-description.js';
import type { EventContext } from './security-event.js';
import { RETENTION_SECONDS, SecurityEvents } from './security-events.js';
import { SECURITY_EVENTS } from './security-events.sql.js';

/** Pages at APP_URL the new-sign-in mail links to: the signed-in account (its sessions) and the password reset. */
export const SIGN_IN_LINK_PATHS = { sessions: '/account#sessions', reset: '/reset-password' } as const;

/** A device and address is "known" when the user logged in from it within this (the events' own retention). */
export const KNOWN_DEVICE_SECONDS = RETENTION_SECONDS;

interface NewSignInJob {
  kind: 'new-sign-in';
  userId: string;
  at: string;
  ip: string | null;
  userAgent: string | null;
  [input: string]: unknown;
}

/**
 * Every successful login (password today; MFA and passkey logins call the same method) records a
 * `login` event and, from a device and address the user has not logged in from within 90 days,
 * queues the "new sign-in" mail, in the login's own transaction. The very first login has nothing
 * to compare with and mails nothing.
 */
@Injectable()
export class SignIns {
  private readonly appUrl: string;

  constructor(
    private readonly db: Db,
    private readonly events: SecurityEvents,
    private readonly mail: MailChannel,
    config: ConfigService<Environment, true>,
  ) {
    this.appUrl = config.get('APP_URL', { infer: true });
    mail.addComposer<NewSignInJob>('new-sign-in', (job) => this.compose(job));
  }

  async record(tx: Tx, context: EventContext & { sessionId: string }): Promise<void> {
    const [history] = await this.db.run(
      SECURITY_EVENTS.loginHistory,
      [context.userId, context.ip, context.userAgent, KNOWN_DEVICE_SECONDS],
      tx,
    );
    await this.events.record(tx, 'login', context);
    if (history.loggedInBefore && !history.knownDevice) {
      // The job holds what the mail says, nothing secret: no token, no session id.
      await this.mail.enqueue<NewSignInJob>(tx, {
        kind: 'new-sign-in',
        userId: context.userId,
        at: new Date().toISOString(),
        ip: context.ip,
        userAgent: context.userAgent,
      });
    }
  }

  private async compose(job: NewSignInJob): Promise<ComposedMail | null> {
    const user = await this.db.one(SECURITY_EVENTS.recipient, [job.userId]);
    // The account was deleted since: nobody to tell.
    if (!user) return null;
    return {
      to: user.email,
      template: 'new-sign-in',
      data: {
        email: user.email,
        at: job.at,
        ip: job.ip ?? 'unknown',
        device: describeDevice(job.userAgent),
        sessionsLink: `${this.appUrl}${SIGN_IN_LINK_PATHS.sessions}`,
        resetLink: `${this.appUrl}${SIGN_IN_LINK_PATHS.reset}`,
      },
    };
  }
}
