/** Messages from the catalog in the boot data: `{name}` parameters, `.one`/`.other` plurals. */

let messages = {};
let locale = "en";
let plurals = new Intl.PluralRules("en");

/** Load the catalog the server chose for this page. */
export function initI18n(bootLocale, catalog) {
  locale = bootLocale || "en";
  messages = catalog || {};
  plurals = new Intl.PluralRules(intlLocale());
}

/** The locale to hand to `Intl` (the pseudo-locale formats as English). */
export function intlLocale() {
  return locale === "pseudo" ? "en" : locale;
}

/** The message of `key` with its `{name}` parameters filled in; `count` picks the plural form. */
export function t(key, params = {}) {
  let id = key;
  if ("count" in params && `${key}.other` in messages) {
    const form = `${key}.${plurals.select(params.count)}`;
    id = form in messages ? form : `${key}.other`;
  }
  const message = messages[id];
  if (message === undefined) {
    console.error(`message ${id} is missing from the ${locale} catalog`);
    return key;
  }
  return message.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** True when the catalog has `key` (for keys that arrive in server pushes). */
export function hasMessage(key) {
  return key in messages || `${key}.other` in messages;
}
