import { BadRequestException, ForbiddenException, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InvalidTokenException } from '../auth/invalid-token.exception.js';
import type { Environment } from '../config/environment.js';
import { Db } from '../database/db.js';
import { PG_CHECK_VIOLATION, rethrowAs } from '../database/sql.js';
import { checkPhoneNumber, smsCountries } from '../notifications/sms/phone-number.js';
import type { UserProfileDto } from './dto/user-profile.dto.js';
import type { UpdateProfileDto } from './dto/users.dto.js';
import { PhoneVerification, VERIFY_EMAIL_FIRST } from './phone/phone-verification.service.js';
import { USERS } from './users.sql.js';

const SMS_NEEDS_PHONE = 'smsNotifications can be true only while a phoneNumber is set';
const SMS_NEEDS_VERIFIED_PHONE =
  'smsNotifications can be true only once the phoneNumber is verified: enter the code texted to it at POST /users/me/phone/verify';

/** The profile and the phone settings. Credentials (signup, login, password, account deletion) are auth's. */
@Injectable()
export class UsersService {
  private readonly countries: ReadonlySet<string> | undefined;

  constructor(
    private readonly db: Db,
    private readonly phone: PhoneVerification,
    config: ConfigService<Environment, true>,
  ) {
    this.countries = smsCountries(config.get('SMS_COUNTRIES', { infer: true }));
  }

  async profile(userId: string): Promise<UserProfileDto> {
    return existing(await this.db.one(USERS.profile, [userId]));
  }

  /** The profile as its JSON document (the same fields as `profile`), rendered by Postgres. */
  async profileJson(userId: string): Promise<string> {
    return existing(await this.db.one(USERS.profileJson, [userId])).json;
  }

  /**
   * API.md, Abuse limits and Phone verification: setting a number or turning texts on needs a
   * verified email (403); a number must be a personal one in SMS_COUNTRIES (400); a new number is
   * unproved, turns texts off, and gets a code texted to it; texts need a proved number (400).
   * Removing the number or turning texts off is always allowed.
   */
  async updateProfile(userId: string, dto: UpdateProfileDto): Promise<UserProfileDto> {
    const { name, phoneNumber, smsNotifications } = dto;
    if (name === undefined && phoneNumber === undefined && smsNotifications === undefined) return this.profile(userId);
    let number = phoneNumber;
    if (phoneNumber) {
      const check = checkPhoneNumber(phoneNumber, this.countries);
      if (!check.ok) throw new BadRequestException(check.reason);
      number = check.e164;
    }
    let newNumber: string | null = null;
    try {
      await this.db.transaction(async (tx) => {
        const state = await this.db.one(USERS.phoneStateForUpdate, [userId], tx);
        if (!state) throw new InvalidTokenException();
        if ((number || smsNotifications === true) && !state.emailVerified) throw new ForbiddenException(VERIFY_EMAIL_FIRST);
        const changesNumber = number !== undefined && number !== state.phoneNumber;
        const resulting = changesNumber ? number : state.phoneNumber;
        if (smsNotifications === true && !resulting) throw new BadRequestException(SMS_NEEDS_PHONE);
        if (smsNotifications === true && (changesNumber || !state.phoneVerified)) throw new BadRequestException(SMS_NEEDS_VERIFIED_PHONE);
        await this.db.run(
          USERS.updateProfile,
          [userId, name !== undefined, name ?? null, changesNumber, changesNumber ? (number ?? null) : null, smsNotifications ?? null],
          tx,
        );
        if (changesNumber && number) newNumber = number;
      });
    } catch (error) {
      // The checks above decide first; these constraints are the database's word on the same rules.
      rethrowAs(error, {
        [PG_CHECK_VIOLATION]: {
          users_sms_needs_phone: () => new BadRequestException(SMS_NEEDS_PHONE),
          users_sms_needs_verified_phone: () => new BadRequestException(SMS_NEEDS_VERIFIED_PHONE),
        },
      });
    }
    if (newNumber) await this.phone.textCodeForNewNumber(userId, newNumber);
    return this.profile(userId);
  }
}

/** The session check passed, so the user existed a moment ago: no row means deleted since. */
function existing<Profile>(profile: Profile | undefined): Profile {
  if (!profile) throw new InvalidTokenException();
  return profile;
}
