import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's root folder, for the scripts that read or run its files. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
