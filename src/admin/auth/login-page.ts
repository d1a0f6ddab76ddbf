/** Where a login may send the browser afterwards: this service's own admin pages and docs only. */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !/^\/(admin|docs)(\/|$|\?)/.test(next) || next.startsWith('//'))
    return '/admin/queues';
  return next;
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * The browser login: a plain form (no script, so the admin's Content-Security-Policy needs no
 * exception) posting the key to /admin/session, which sets the session cookie and redirects.
 */
export function loginPage(options: { next: string; failed: boolean; sessionMinutes: number }): string {
  const error = options.failed
    ? '<p class="error" role="alert">That key is not one of ADMIN_API_KEYS, or the request did not come from this site.</p>'
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>webhook-inbox — admin login</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 26rem; margin: 4rem auto; padding: 0 1rem; }
  label, input, button { display: block; width: 100%; box-sizing: border-box; }
  input { margin: .25rem 0 1rem; padding: .5rem; font: inherit; }
  button { padding: .5rem; font: inherit; cursor: pointer; }
  .error { color: #b00020; }
  small { color: #555; }
</style>
</head>
<body>
<h1>webhook-inbox admin</h1>
${error}
<form method="post" action="/admin/session">
  <label for="key">Admin key</label>
  <input id="key" name="key" type="password" autocomplete="current-password" required autofocus>
  <input type="hidden" name="next" value="${escapeHtml(options.next)}">
  <button type="submit">Log in</button>
</form>
<p><small>One of ADMIN_API_KEYS. The session lasts ${options.sessionMinutes} minutes, in this browser only.
Then open the <a href="/admin/queues">queue dashboard</a> or the <a href="/docs">API docs</a>.</small></p>
</body>
</html>
`;
}
