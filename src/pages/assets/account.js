// The account page's one script: sign in (password or passkey), then list, add and delete
// passkeys through the same JSON API every client uses. The access token lives in this page's
// memory only; the refresh token is the API's HttpOnly cookie, which keeps the page signed in.
'use strict';
(() => {
  const { startAuthentication, startRegistration, browserSupportsWebAuthn } = window.SimpleWebAuthnBrowser;
  const $ = (id) => document.getElementById(id);
  let accessToken = null;
  let refreshTimer;

  function say(text, isError = false) {
    const status = $('status');
    status.textContent = text;
    status.classList.toggle('error', isError);
  }

  function messageOf(body, status) {
    const message = body && body.message;
    if (Array.isArray(message)) return message.join('; ');
    return message || `The service answered ${status}`;
  }

  async function api(method, path, body) {
    const headers = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (accessToken) headers.authorization = `Bearer ${accessToken}`;
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) throw Object.assign(new Error(messageOf(data, response.status)), { status: response.status });
    return data;
  }

  async function useTokens(pair) {
    if (pair.mfaRequired)
      throw new Error('This account asks for a second factor, which this page cannot take yet; sign in through the API.');
    accessToken = pair.accessToken;
    clearTimeout(refreshTimer);
    // Renew a little before the access token expires, with the cookie.
    refreshTimer = setTimeout(
      () => refreshSession().catch(() => signedOut('Your session ended; please sign in again.')),
      pair.expiresIn * 800,
    );
    await showAccount();
  }

  async function refreshSession() {
    accessToken = null;
    await useTokens(await api('POST', '/auth/refresh'));
  }

  function signedOut(message) {
    accessToken = null;
    clearTimeout(refreshTimer);
    $('signed-in').hidden = true;
    $('signed-out').hidden = false;
    if (message) say(message);
  }

  function describe(passkey) {
    const created = new Date(passkey.createdAt).toLocaleString();
    const used = passkey.lastUsedAt ? `last used ${new Date(passkey.lastUsedAt).toLocaleString()}` : 'never used';
    return `added ${created}, ${used}`;
  }

  async function showAccount() {
    const [me, passkeys] = await Promise.all([api('GET', '/users/me'), api('GET', '/auth/passkeys')]);
    $('me-email').textContent = me.email;
    $('me-verified').textContent = me.emailVerified ? 'Your email address is verified.' : 'Your email address is not verified yet.';
    $('send-verification').hidden = me.emailVerified;
    const list = $('passkeys');
    list.replaceChildren(
      ...passkeys.map((passkey) => {
        const item = document.createElement('li');
        const text = document.createElement('span');
        const name = document.createElement('strong');
        name.textContent = passkey.name;
        const meta = document.createElement('span');
        meta.className = 'meta';
        meta.textContent = describe(passkey);
        text.append(name, meta);
        const remove = document.createElement('button');
        remove.type = 'button';
        remove.className = 'secondary';
        remove.textContent = 'Delete';
        remove.setAttribute('aria-label', `Delete passkey ${passkey.name}`);
        remove.addEventListener('click', () =>
          act(remove, async () => {
            await api('DELETE', `/auth/passkeys/${encodeURIComponent(passkey.id)}`);
            await showAccount();
            say(`Passkey “${passkey.name}” deleted.`);
          }),
        );
        item.append(text, remove);
        return item;
      }),
    );
    $('no-passkeys').hidden = passkeys.length > 0;
    $('signed-out').hidden = true;
    $('signed-in').hidden = false;
  }

  /** Runs one user action with its button disabled, and says what went wrong if it fails. */
  async function act(button, work) {
    button.disabled = true;
    try {
      await work();
    } catch (error) {
      if (error.status === 401 && accessToken) signedOut('Your session ended; please sign in again.');
      else say(error.name === 'NotAllowedError' ? 'The passkey request was cancelled or timed out.' : error.message, true);
    } finally {
      button.disabled = false;
    }
  }

  $('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const button = event.submitter || event.target.querySelector('button');
    act(button, async () => {
      await useTokens(await api('POST', '/auth/login', { email: $('email').value, password: $('password').value }));
      $('password').value = '';
      say('You are signed in.');
    });
  });

  $('passkey-login').addEventListener('click', (event) =>
    act(event.currentTarget, async () => {
      const email = $('email').value.trim();
      const { challengeId, ...optionsJSON } = await api('POST', '/auth/passkeys/login/options', email ? { email } : {});
      const response = await startAuthentication({ optionsJSON });
      await useTokens(await api('POST', '/auth/passkeys/login', { challengeId, response }));
      say('You are signed in with your passkey.');
    }),
  );

  $('add-passkey').addEventListener('submit', (event) => {
    event.preventDefault();
    const button = event.submitter || event.target.querySelector('button');
    act(button, async () => {
      const optionsJSON = await api('POST', '/auth/passkeys/register/options');
      const response = await startRegistration({ optionsJSON });
      const name = $('passkey-name').value.trim();
      const created = await api('POST', '/auth/passkeys/register', name ? { response, name } : { response });
      $('passkey-name').value = '';
      await showAccount();
      say(`Passkey “${created.name}” added.`);
    });
  });

  $('send-verification').addEventListener('click', (event) =>
    act(event.currentTarget, async () => {
      const { message } = await api('POST', '/auth/verify-email/request');
      say(message);
    }),
  );

  $('logout').addEventListener('click', (event) =>
    act(event.currentTarget, async () => {
      await api('POST', '/auth/logout');
      signedOut('You are signed out.');
    }),
  );

  if (!browserSupportsWebAuthn()) {
    $('passkey-login').disabled = true;
    $('add-passkey').querySelector('button').disabled = true;
    say('This browser does not support passkeys; you can still sign in with your password.');
  }

  // A refresh cookie from an earlier visit signs the page in again.
  refreshSession().catch(() => signedOut());
})();
