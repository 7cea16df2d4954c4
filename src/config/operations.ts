import { isIP } from 'node:net';
import { parseWholeNumber } from '../common/whole-number.js';

/** What Fastify's `trustProxy` accepts from TRUST_PROXY: everyone, a hop count, or addresses/CIDRs. */
export type TrustProxy = boolean | number | string[];

function isAddressOrCidr(entry: string): boolean {
  const [address, bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  const prefix = parseWholeNumber(bits, 3);
  return prefix !== undefined && prefix <= (family === 4 ? 32 : 128);
}

/** `true`, `false`, a hop count, or a comma-separated list of addresses/CIDRs; undefined when malformed. */
export function parseTrustProxy(raw: string): TrustProxy | undefined {
  const value = raw.trim();
  if (value === 'true') return true;
  if (value === 'false') return false;
  const hops = parseWholeNumber(value, 3);
  if (hops !== undefined) return hops;
  const entries = value.split(',').map((entry) => entry.trim());
  return entries.every(isAddressOrCidr) ? entries : undefined;
}

/** A comma-separated list of exact origins (`https://app.example.com`, no path); undefined when malformed. */
export function parseCorsOrigins(raw: string): string[] | undefined {
  const entries = raw.split(',').map((entry) => entry.trim());
  const exact = entries.every((entry) => {
    try {
      const url = new URL(entry);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === entry;
    } catch {
      return false;
    }
  });
  return exact ? entries : undefined;
}

type TrustProxyFunction = (address: string, hop: number) => boolean;

/**
 * The `trustProxy` option for Fastify. A hop count becomes a function trusting the nearest N hops:
 * Fastify 5.12 ignores a numeric trustProxy (it cannot check the immediate peer), and the operator
 * who sets a count states that every client reaches the service through exactly those proxies.
 */
export function fastifyTrustProxy(raw: string | undefined): boolean | string[] | TrustProxyFunction {
  const parsed = raw === undefined ? false : parseTrustProxy(raw);
  if (parsed === undefined) throw new Error(`TRUST_PROXY is malformed: ${raw}`);
  if (typeof parsed === 'number') return (_address, hop) => hop < parsed;
  return parsed;
}
