import { Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Environment } from '../../config/environment.js';
import { LogProvider } from './log.provider.js';
import { SmsAllowance } from './sms-allowance.js';
import { SmsChannel } from './sms.channel.js';
import { SMS_PROVIDER, type SmsProvider } from './sms-provider.js';
import { VonageProvider } from './vonage.provider.js';

/** The provider SMS_PROVIDER names; start-up says which (a warning when production sends nothing). */
function smsProvider(config: ConfigService<Environment, true>): SmsProvider {
  const logger = new Logger('Sms');
  if (config.get('SMS_PROVIDER', { infer: true }) === 'vonage') {
    const provider = new VonageProvider({
      // validateEnvironment has made these present whenever SMS_PROVIDER=vonage.
      apiKey: config.getOrThrow('VONAGE_API_KEY', { infer: true }),
      apiSecret: config.getOrThrow('VONAGE_API_SECRET', { infer: true }),
      from: config.getOrThrow('VONAGE_FROM', { infer: true }),
      apiUrl: config.get('VONAGE_API_URL', { infer: true }),
    });
    logger.log(provider.description);
    return provider;
  }
  const provider = new LogProvider();
  if (config.get('NODE_ENV', { infer: true }) === 'production') logger.warn(provider.description);
  else logger.log(provider.description);
  return provider;
}

/** The SMS channel, its provider and the daily caps; feature modules import it to enqueue text messages. */
@Module({
  providers: [{ provide: SMS_PROVIDER, inject: [ConfigService], useFactory: smsProvider }, SmsChannel, SmsAllowance],
  exports: [SmsChannel, SmsAllowance],
})
export class SmsModule {}
