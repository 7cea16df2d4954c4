/** What each message says. Every value reaches the HTML part through `html`, which escapes it. */
export interface TemplateData {
  'verify-email': { email: string; link: string; ttlSeconds: number };
  'password-reset': { email: string; link: string; ttlSeconds: number };
  'mfa-enabled': { email: string };
  'mfa-disabled': { email: string };
  /** `at` as ISO-8601 UTC; `device` a description from a fixed vocabulary (events/device-description.ts), never the raw user agent. */
  'new-sign-in': { email: string; at: string; ip: string; device: string; sessionsLink: string; resetLink: string };
}
export type TemplateName = keyof TemplateData;

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => ENTITIES[ch]);
}

/** A tagged template whose interpolations are always escaped: there is no way to forget one. */
function html(strings: TemplateStringsArray, ...values: (string | number)[]): string {
  return strings.reduce((out, part, i) => out + escapeHtml(String(values[i - 1])) + part);
}

/** `86400` → `24 hours`, `1800` → `30 minutes`. */
export function duration(seconds: number): string {
  const [amount, unit] =
    seconds % 86_400 === 0 && seconds > 86_400
      ? [seconds / 86_400, 'day']
      : seconds % 3600 === 0
        ? [seconds / 3600, 'hour']
        : [Math.max(1, Math.round(seconds / 60)), 'minute'];
  return `${amount} ${unit}${amount === 1 ? '' : 's'}`;
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body style="font-family: sans-serif; line-height: 1.5; color: #222; max-width: 36em; margin: 2em auto;">
${body}
</body></html>`;
}

function button(link: string, label: string): string {
  const style = 'display: inline-block; padding: .6em 1.2em; background: #2457c5; color: #fff; text-decoration: none; border-radius: 4px;';
  return html`<p><a href="${link}" style="${style}">${label}</a></p>
<p style="font-size: .9em; color: #555;">Or paste this address into your browser:<br><a href="${link}">${link}</a></p>`;
}

// No user-chosen text (such as the name) goes into these mails: anyone can sign up with someone
// else's address, and their words must not reach that inbox.
const TEMPLATES: { [K in TemplateName]: (data: TemplateData[K]) => RenderedMail } = {
  'verify-email': ({ email, link, ttlSeconds }) => {
    const subject = 'Confirm your email address';
    const validFor = duration(ttlSeconds);
    return {
      subject,
      text: [
        `Please confirm that ${email} is your email address by opening this link:`,
        '',
        link,
        '',
        `The link works once and expires in ${validFor}.`,
        'If you did not sign up, ignore this message: nothing happens unless the link is opened.',
      ].join('\n'),
      html: layout(
        subject,
        html`<p>Please confirm that <strong>${email}</strong> is your email address.</p>` +
          button(link, 'Confirm my address') +
          html`<p>The link works once and expires in ${validFor}.<br>
If you did not sign up, ignore this message: nothing happens unless the link is opened.</p>`,
      ),
    };
  },
  'password-reset': ({ email, link, ttlSeconds }) => {
    const subject = 'Reset your password';
    const validFor = duration(ttlSeconds);
    return {
      subject,
      text: [
        `Someone (hopefully you) asked to reset the password of the account ${email}. To choose a new password, open this link:`,
        '',
        link,
        '',
        `The link works once and expires in ${validFor}. Resetting signs you out on every device.`,
        'If you did not ask for this, ignore this message: your password stays as it is.',
      ].join('\n'),
      html: layout(
        subject,
        html`<p>Someone (hopefully you) asked to reset the password of the account <strong>${email}</strong>.</p>` +
          button(link, 'Choose a new password') +
          html`<p>The link works once and expires in ${validFor}. Resetting signs you out on every device.<br>
If you did not ask for this, ignore this message: your password stays as it is.</p>`,
      ),
    };
  },
  'mfa-enabled': ({ email }) => {
    const subject = 'Two-factor authentication is on';
    const lines = [
      `Two-factor authentication was turned on for the account ${email}: signing in now takes a code from your authenticator app (or one of your recovery codes) after the password.`,
      'If you did not do this, someone else knows your password: reset it at once and contact us.',
    ];
    return { subject, text: lines.join('\n\n'), html: layout(subject, lines.map((line) => html`<p>${line}</p>`).join('\n')) };
  },
  'mfa-disabled': ({ email }) => {
    const subject = 'Two-factor authentication is off';
    const lines = [
      `Two-factor authentication was turned off for the account ${email}: signing in takes the password alone again, and every other session was signed out.`,
      'If you did not do this, reset your password at once and turn two-factor authentication back on.',
    ];
    return { subject, text: lines.join('\n\n'), html: layout(subject, lines.map((line) => html`<p>${line}</p>`).join('\n')) };
  },
  'new-sign-in': ({ email, at, ip, device, sessionsLink, resetLink }) => {
    const subject = 'New sign-in to your account';
    const when = at.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
    return {
      subject,
      text: [
        `Your account ${email} was just signed in to from a device and address it has not used recently:`,
        '',
        `  When:    ${when}`,
        `  Address: ${ip}`,
        `  Device:  ${device}`,
        '',
        'If this was you, there is nothing to do.',
        `If it was not, end that session in your list of sessions: ${sessionsLink}`,
        `and choose a new password: ${resetLink}`,
      ].join('\n'),
      html: layout(
        subject,
        html`<p>Your account <strong>${email}</strong> was just signed in to from a device and address it has not used recently:</p>
<ul><li>When: ${when}</li><li>Address: ${ip}</li><li>Device: ${device}</li></ul>
<p>If this was you, there is nothing to do. If it was not, end that session and choose a new password:</p>` +
          button(sessionsLink, 'Review my sessions') +
          button(resetLink, 'Choose a new password'),
      ),
    };
  },
};

export function render<K extends TemplateName>(name: K, data: TemplateData[K]): RenderedMail {
  return TEMPLATES[name](data);
}
