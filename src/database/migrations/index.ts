import { CreateUsersAndSessions1795300000000 } from './1795300000000-CreateUsersAndSessions.js';
import { CreateTodos1795300100000 } from './1795300100000-CreateTodos.js';
import { CreateRateLimits1795300200000 } from './1795300200000-CreateRateLimits.js';
import { SessionPreviousRefreshJti1795300500000 } from './1795300500000-SessionPreviousRefreshJti.js';
import { CreateLinkTokens1795310000000 } from './1795310000000-CreateLinkTokens.js';
import { AddUserSmsSettings1795320000000 } from './1795320000000-AddUserSmsSettings.js';
import { PhoneVerification1796100000000 } from './1796100000000-PhoneVerification.js';
import { RetentionIndexes1796200000000 } from './1796200000000-RetentionIndexes.js';
import { AddTotpMfa1796300000000 } from './1796300000000-AddTotpMfa.js';
import { CreateSecurityEvents1796400000000 } from './1796400000000-CreateSecurityEvents.js';
import { CreatePasskeys1796500000000 } from './1796500000000-CreatePasskeys.js';
import { UsersMfaEnabled1796600000000 } from './1796600000000-UsersMfaEnabled.js';

/** In order. Listed rather than globbed so the app, the CLI and the tests load exactly these. */
export const migrations = [
  CreateUsersAndSessions1795300000000,
  CreateTodos1795300100000,
  CreateRateLimits1795300200000,
  SessionPreviousRefreshJti1795300500000,
  CreateLinkTokens1795310000000,
  AddUserSmsSettings1795320000000,
  PhoneVerification1796100000000,
  RetentionIndexes1796200000000,
  AddTotpMfa1796300000000,
  CreateSecurityEvents1796400000000,
  CreatePasskeys1796500000000,
  UsersMfaEnabled1796600000000,
];
