/** The server's boot data: user, locale, catalog, CSRF token, server time, socket path. */
export function readBoot() {
  const node = document.getElementById("boot");
  return node ? JSON.parse(node.textContent) : null;
}

/** The CSRF token of this page's session, from the boot data or the page's meta tag. */
export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}
