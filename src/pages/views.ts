import { PASSWORD_MAX_BYTES, PASSWORD_MIN_BYTES } from '../auth/dto/password.validator.js';
import { type Html, html } from './html.js';

const SITE = 'Todo API';

/**
 * Every page: one stylesheet and, on the account page, two scripts, all from 'self'. No inline
 * script or style anywhere (the CSP forbids them), no third-party resource.
 */
function layout(title: string, main: Html, { scripts = false }: { scripts?: boolean } = {}): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ${SITE}</title>
<link rel="stylesheet" href="/assets/pages.css">
${
  scripts
    ? html`<script src="/assets/webauthn.js" defer></script>
<script src="/assets/account.js" defer></script>`
    : null
}
</head>
<body>
<header class="site"><a href="/account">${SITE}</a></header>
<main id="main">
${main}
</main>
</body>
</html>
`;
}

/** A field's label, input, hint and error, wired together for screen readers. */
function field(options: {
  name: string;
  label: string;
  type: string;
  autocomplete: string;
  hint?: string;
  error?: string;
  value?: string;
}): Html {
  const { name, label, type, autocomplete, hint, error, value } = options;
  const described = [hint ? `${name}-hint` : '', error ? `${name}-error` : ''].filter(Boolean).join(' ');
  return html`<div class="field${error ? ' invalid' : ''}">
<label for="${name}">${label}</label>
${hint ? html`<p class="hint" id="${name}-hint">${hint}</p>` : null}
${error ? html`<p class="error" id="${name}-error">${error}</p>` : null}
<input id="${name}" name="${name}" type="${type}" autocomplete="${autocomplete}" required${value ? html` value="${value}"` : null}${
    described ? html` aria-describedby="${described}"` : null
  }${error ? html` aria-invalid="true" autofocus` : null}>
</div>`;
}

const NEW_VERIFICATION_LINK = html`<p>To get a new link, <a href="/account">sign in to your account</a> and press
“Send a new verification link”.</p>`;
const NEW_RESET_LINK = html`<p><a href="/forgot-password">Ask for a new reset link</a>: it is mailed to you at once.</p>`;

export const views = {
  verifyEmail: (token: string) =>
    layout(
      'Confirm your email address',
      html`<h1>Confirm your email address</h1>
<p>Press the button to confirm that this address is yours.</p>
<form method="post" action="/verify-email">
<input type="hidden" name="token" value="${token}">
<button type="submit">Confirm my email address</button>
</form>`,
    ),

  emailVerified: (email: string) =>
    layout(
      'Email address verified',
      html`<h1>Email address verified</h1>
<p class="success">Thank you: <strong>${email}</strong> is verified.</p>
<p><a href="/account">Go to your account</a></p>`,
    ),

  deadVerificationLink: () =>
    layout(
      'Link used or expired',
      html`<h1>This link no longer works</h1>
<p class="error">This verification link is invalid, has been used already, or has expired (links work for a limited time).</p>
${NEW_VERIFICATION_LINK}`,
    ),

  resetPassword: (token: string, error?: string) =>
    layout(
      'Choose a new password',
      html`<h1>Choose a new password</h1>
<form method="post" action="/reset-password" novalidate>
<input type="hidden" name="token" value="${token}">
${field({
  name: 'newPassword',
  label: 'New password',
  type: 'password',
  autocomplete: 'new-password',
  hint: `${PASSWORD_MIN_BYTES} to ${PASSWORD_MAX_BYTES} bytes: most letters count one byte, accented letters two, emoji four.`,
  error,
})}
<button type="submit">Change my password</button>
</form>`,
    ),

  passwordChanged: () =>
    layout(
      'Password changed',
      html`<h1>Password changed</h1>
<p class="success">Your password is changed. Every device that was signed in is now signed out.</p>
<p><a href="/account">Sign in with your new password</a></p>`,
    ),

  deadResetLink: () =>
    layout(
      'Link used or expired',
      html`<h1>This link no longer works</h1>
<p class="error">This password reset link is invalid, has been used already, or has expired (reset links work for a short time,
and a newer link or a password change ends the older ones).</p>
${NEW_RESET_LINK}`,
    ),

  forgotPassword: (error?: string, email?: string) =>
    layout(
      'Forgot your password?',
      html`<h1>Forgot your password?</h1>
<p>Enter your address and we mail you a link to choose a new password.</p>
<form method="post" action="/forgot-password" novalidate>
${field({ name: 'email', label: 'Email address', type: 'email', autocomplete: 'email', error, value: email })}
<button type="submit">Mail me a link</button>
</form>`,
    ),

  resetLinkQueued: (minutes: number) =>
    layout(
      'Check your mail',
      html`<h1>Check your mail</h1>
<p class="success">If an account has this address, a link is on its way to it. It works for ${minutes} minutes.</p>`,
    ),

  account: () =>
    layout(
      'Your account',
      html`<h1>Your account</h1>
<p id="status" class="status" role="status" aria-live="polite"></p>
<noscript><p class="error">Signing in and passkeys need JavaScript, which is off in this browser.
The links in our mails work without it.</p></noscript>
<section id="signed-out" aria-labelledby="sign-in-title" hidden>
<h2 id="sign-in-title">Sign in</h2>
<form id="login-form">
${field({ name: 'email', label: 'Email address', type: 'email', autocomplete: 'username webauthn' })}
${field({ name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password' })}
<button type="submit">Sign in</button>
</form>
<p>Or, with no password:</p>
<button type="button" id="passkey-login">Sign in with a passkey</button>
<p class="hint">With an address typed above, only a passkey of that account is accepted.</p>
<p><a href="/forgot-password">Forgot your password?</a></p>
</section>
<section id="signed-in" aria-labelledby="account-title" hidden>
<h2 id="account-title">Signed in</h2>
<p>Signed in as <strong id="me-email"></strong>.</p>
<p id="me-verified"></p>
<button type="button" id="send-verification" hidden>Send a new verification link</button>
<h2 id="passkeys-title">Passkeys</h2>
<p id="no-passkeys">You have no passkey yet.</p>
<ul id="passkeys" class="passkeys" aria-labelledby="passkeys-title"></ul>
<form id="add-passkey">
<div class="field">
<label for="passkey-name">Name of the new passkey</label>
<p class="hint" id="passkey-name-hint">Optional, to tell your passkeys apart, e.g. “Laptop”.</p>
<input id="passkey-name" name="name" type="text" maxlength="64" autocomplete="off" aria-describedby="passkey-name-hint">
</div>
<button type="submit">Add a passkey</button>
</form>
<h2>Leave</h2>
<button type="button" id="logout">Sign out</button>
</section>`,
      { scripts: true },
    ),

  /** Any refusal the other views do not cover (429, a malformed request), in words. */
  problem: (status: number, message: string) =>
    layout(
      status === 429 ? 'Too many requests' : 'Something went wrong',
      html`<h1>${status === 429 ? 'Too many requests' : 'Something went wrong'}</h1>
<p class="error">${message}</p>
<p><a href="/account">Go to your account</a></p>`,
    ),
};
