// npm run keys:generate  -- writes any missing key pair of TOKEN_FORMAT (jwt by default) into KEYS_DIR (default ./keys)
// npm run keys:rotate    -- retires the current public keys of every format present and writes new pairs; restart to sign with them
import { generateMissingKeys, KEY_PURPOSES, loadKeyRing, rotateKeys, TOKEN_FORMATS } from '../src/auth/tokens/key-files.js';
import { loadEnvironment } from '../src/config/environment.js';

const command = process.argv[2];

async function main(): Promise<void> {
  // The service's own reading of KEYS_DIR and TOKEN_FORMAT (defaults, .env, validation).
  const { KEYS_DIR: dir, TOKEN_FORMAT: format } = loadEnvironment();
  if (!TOKEN_FORMATS.includes(format)) throw new Error(`TOKEN_FORMAT must be ${TOKEN_FORMATS.join(' or ')}`);
  if (command === 'generate') {
    const written = await generateMissingKeys(dir, format);
    for (const purpose of KEY_PURPOSES) {
      const { kid } = await loadKeyRing(dir, purpose, format);
      console.log(`${format} ${purpose}: ${written.includes(purpose) ? 'generated' : 'kept'} (kid ${kid})`);
    }
  } else if (command === 'rotate') {
    for (const { format: rotated, purpose, retiredKid, newKid } of await rotateKeys(dir)) {
      console.log(`${rotated} ${purpose}: ${retiredKid} retired to ${dir}/retired/, new kid ${newKid}`);
    }
    console.log('Restart every instance to sign with the new keys; retired keys keep verifying earlier tokens.');
    console.log('Delete a retired key once every token it signed has expired (access: JWT_ACCESS_TTL, refresh: JWT_REFRESH_TTL).');
  } else {
    throw new Error('usage: [TOKEN_FORMAT=jwt|paseto] tsx scripts/keys.ts generate|rotate');
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
