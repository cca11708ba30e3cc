/** Durations, clock times and dates in the page's locale. */
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
