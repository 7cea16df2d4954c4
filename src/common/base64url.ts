/**
 * RFC 4648 §5 base64url without padding, in its one spelling. Node's decoder skips characters
 * outside the alphabet, padding and set trailing bits, so other texts would read as the same bytes;
 * decoding and encoding again gives back exactly the canonical text, and only that.
 */
export function canonicalBase64url(segment: string): Buffer | undefined {
  const bytes = Buffer.from(segment, 'base64url');
  return segment.length > 0 && bytes.toString('base64url') === segment ? bytes : undefined;
}
