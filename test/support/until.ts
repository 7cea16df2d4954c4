/**
 * Polls `probe` every 100 ms until it gives a value (anything but undefined or false) and returns
 * it; past `timeoutMs` it fails naming `what`. For what the service does in the background (the
 * queue, the mail, the provider).
 */
export async function until<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
