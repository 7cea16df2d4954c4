import { Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Environment } from '../../config/environment.js';
import { LogTransport } from './log.transport.js';
import { MailChannel } from './mail.channel.js';
import { MAIL_TRANSPORT, type MailTransport } from './mail-transport.js';
import { SmtpTransport } from './smtp.transport.js';

/** SMTP when SMTP_URL is set, else the log; start-up says which (a warning in production). */
export function mailTransport(config: ConfigService<Environment, true>): MailTransport {
  const logger = new Logger('Mail');
  const url = config.get('SMTP_URL', { infer: true });
  if (url) {
    const transport = new SmtpTransport(url, config.get('MAIL_FROM', { infer: true }));
    logger.log(`mail: ${transport.description}`);
    return transport;
  }
  const production = config.get('NODE_ENV', { infer: true }) === 'production';
  const transport = new LogTransport(!production);
  if (production) logger.warn(`mail: ${transport.description}; set SMTP_URL`);
  else logger.log(`mail: ${transport.description}`);
  return transport;
}

/** The mail channel and its transport; feature modules import it to add composers and enqueue mail. */
@Module({
  providers: [{ provide: MAIL_TRANSPORT, inject: [ConfigService], useFactory: mailTransport }, MailChannel],
  exports: [MailChannel],
})
export class MailModule {}
