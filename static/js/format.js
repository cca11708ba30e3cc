/** Durations, clock times and dates in the page's locale.
 *
 * Text made here by `Intl` is already in the reader's language, not the catalog's: views mark it
 * `translate="no"` where it stands alone, so translation tools and the pseudo-locale check skip it.
 */
import { intlLocale, t } from "./i18n.js";

const pad = (n) => String(n).padStart(2, "0");

/** `m:ss` below an hour, `h:mm:ss` from then on; negative spans count as zero. */
export function clock(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

/** A span rounded to whole minutes for screen readers, which should not hear every second. */
export function spokenDuration(ms) {
  const minutes = Math.floor(Math.max(0, ms) / 60000);
  if (minutes < 1) return t("time.under_minute");
  if (minutes < 60) return t("time.minutes", { count: minutes });
  return t("time.hours_minutes", { hours: Math.floor(minutes / 60), minutes: minutes % 60 });
}

/** An exact date and time, e.g. for `title` and audit rows. */
export function dateTime(ms) {
  return new Intl.DateTimeFormat(intlLocale(), { dateStyle: "medium", timeStyle: "medium" }).format(ms);
}

const UNITS = [
  ["year", 365 * 86400000],
  ["month", 30 * 86400000],
  ["day", 86400000],
  ["hour", 3600000],
  ["minute", 60000],
];

/** How long ago (or ahead) `ms` is from `now`, e.g. "3 min ago", "3分钟前"; under a minute: "now". */
export function relative(ms, now) {
  const format = new Intl.RelativeTimeFormat(intlLocale(), { numeric: "auto", style: "short" });
  const span = ms - now;
  for (const [unit, size] of UNITS) {
    if (Math.abs(span) >= size) return format.format(Math.trunc(span / size), unit);
  }
  return format.format(0, "second");
}

/** An amount in cents as a decimal number in the page's locale (the currency is the shop's own). */
export function money(cents) {
  return new Intl.NumberFormat(intlLocale(), { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(
    (cents ?? 0) / 100,
  );
}

/** A plain number in the page's locale, at most one decimal (percentages, counts). */
export function number(value) {
  return new Intl.NumberFormat(intlLocale(), { maximumFractionDigits: 1 }).format(value);
}

/** A whole number of seconds as `m:ss`. */
export function seconds(value) {
  return clock((value ?? 0) * 1000);
}

/** A calendar day, e.g. for the last order. */
export function day(ms) {
  return new Intl.DateTimeFormat(intlLocale(), { dateStyle: "medium" }).format(ms);
}

/** The wall-clock time in an IANA time zone, or null when the zone is unknown to this browser. */
export function timeIn(zone, ms) {
  if (!zone) return null;
  try {
    return new Intl.DateTimeFormat(intlLocale(), { timeStyle: "short", timeZone: zone }).format(ms);
  } catch {
    return null;
  }
}

function displayName(type, code) {
  if (!code) return null;
  try {
    return new Intl.DisplayNames([intlLocale()], { type, fallback: "code" }).of(code) ?? code;
  } catch {
    return code;
  }
}

/** A BCP 47 language tag in the page's language, e.g. "zh-Hans" → "Simplified Chinese". */
export function languageName(tag) {
  return displayName("language", tag);
}

/** An ISO region code in the page's language, e.g. "CN" → "China". */
export function regionName(code) {
  return displayName("region", code);
}

/** A share from 0 to 1 as a whole percentage in the page's locale, e.g. "62%". */
export function percent(share) {
  return new Intl.NumberFormat(intlLocale(), { style: "percent", maximumFractionDigits: 0 }).format(share);
}

/** The time of day with seconds, e.g. for a decision made moments ago. */
export function timeOfDay(ms) {
  return new Intl.DateTimeFormat(intlLocale(), { timeStyle: "medium" }).format(ms);
}
