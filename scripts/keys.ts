// npm run keys:generate  -- writes any missing key pair into KEYS_DIR (default ./keys)
// npm run keys:rotate    -- retires the current public keys and writes new pairs; restart to sign with them
import { generateMissingKeys, KEY_PURPOSES, loadKeyRing, rotateKeys } from '../src/auth/tokens/key-files.js';

const dir = process.env.KEYS_DIR || './keys';
const command = process.argv[2];

async function main(): Promise<void> {
  if (command === 'generate') {
    const written = await generateMissingKeys(dir);
    for (const purpose of KEY_PURPOSES) {
      const { kid } = await loadKeyRing(dir, purpose);
      console.log(`${purpose}: ${written.includes(purpose) ? 'generated' : 'kept'} (kid ${kid})`);
    }
  } else if (command === 'rotate') {
    for (const { purpose, retiredKid, newKid } of await rotateKeys(dir)) {
      console.log(`${purpose}: ${retiredKid} retired to ${dir}/retired/, new kid ${newKid}`);
    }
    console.log('Restart every instance to sign with the new keys; retired keys keep verifying earlier tokens.');
    console.log('Delete a retired key once every token it signed has expired (access: JWT_ACCESS_TTL, refresh: JWT_REFRESH_TTL).');
  } else {
    throw new Error('usage: tsx scripts/keys.ts generate|rotate');
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
