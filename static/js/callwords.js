/** Calls and customers in words: states, outcomes, how the caller matched, tiers, the alert. */
import { number, regionName, seconds } from "./format.js";
import { t } from "./i18n.js";

/** An icon per call state; the word always stands beside it. */
export const STATE_ICONS = {
  queued: "☎",
  ringing: "☎",
  answered: "◉",
  ended: "■",
  abandoned: "✕",
  missed: "✕",
  transferred: "⇢",
};

/** The state of a call in one or two words. */
export function stateLabel(call) {
  switch (call?.state) {
    case "queued":
      return t("pop.state.queued");
    case "ringing":
      return t("pop.state.ringing");
    case "answered":
      return t("pop.state.answered");
    case "abandoned":
      return t("pop.state.abandoned");
    case "missed":
      return call.voicemail ? t("pop.state.voicemail") : t("pop.state.missed");
    case "transferred":
      return t("pop.state.transferred");
    default:
      return t("pop.state.ended");
  }
}

/** How a call that is over ended, with its duration where one matters. */
export function outcome(call) {
  if (call.voicemail) return t("pop.outcome.voicemail");
  switch (call.state) {
    case "abandoned":
      return t("pop.outcome.abandoned", { wait: seconds(call.wait_s) });
    case "missed":
      return t("pop.outcome.missed");
    case "transferred":
      return t("pop.outcome.transferred");
    default:
      return call.answered_at
        ? t("pop.outcome.ended", { talk: seconds(call.talk_s) })
        : t("pop.outcome.ended_unanswered");
  }
}

/** How the caller was matched, e.g. "Exact number", "National format, CN", "3 customers share this number". */
export function matchWords(match) {
  switch (match?.kind) {
    case "exact":
      return t("pop.match.exact");
    case "national":
      return match.region_used
        ? t("pop.match.national", { region: match.region_used })
        : t("pop.match.national_plain");
    case "several":
      return t("pop.match.several", { count: match.candidates?.length ?? 0 });
    case "withheld":
      return t("pop.match.withheld");
    case "picked":
      return t("pop.match.picked");
    case "created":
      return t("pop.match.created");
    default:
      return t("pop.match.none");
  }
}

/** An icon for how the caller matched (beside its words). */
export function matchIcon(match) {
  if (["exact", "national", "picked", "created"].includes(match?.kind)) return "✓";
  if (match?.kind === "several") return "⋯";
  return "?";
}

/** A tier with what it means, e.g. "A · top 80 % of revenue". */
export function tierWords(card) {
  if (!card?.tier) return null;
  const share = card.tier_share;
  if (!share) return t("pop.tier.plain", { tier: card.tier });
  if (share.from_pct <= 0) return t("pop.tier.top", { tier: card.tier, pct: number(share.to_pct) });
  return t("pop.tier.band", { tier: card.tier, low: number(share.from_pct), high: number(share.to_pct) });
}

/** The caller in a few words: the customer's name, else the number, else "number withheld". */
export function who(entry) {
  if (entry.customer?.name) return entry.customer.name;
  if (entry.match?.kind === "withheld") return t("pop.match.withheld");
  return entry.call.number_display || entry.call.number || t("pop.unknown_number");
}

/** The sentence `role=alert` reads once when a call starts ringing. */
export function ringAlert(entry) {
  const name = entry.match?.kind === "several" && !entry.customer ? matchWords(entry.match) : who(entry);
  const tier = entry.customer?.tier;
  const sentence = tier ? t("pop.alert.tier", { who: name, tier }) : t("pop.alert.plain", { who: name });
  const tickets = entry.tickets?.length ?? 0;
  return tickets ? t("pop.alert.tickets", { alert: sentence, count: tickets }) : sentence;
}

/** The desktop notification's details line: how matched, and the tier. */
export function ringDetails(entry) {
  const tier = tierWords(entry.customer);
  return tier ? t("pop.notify.details", { match: matchWords(entry.match), tier }) : matchWords(entry.match);
}

/** A region code with its name, e.g. "China (CN)"; null when unknown. */
export function regionWords(code) {
  return code ? t("pop.region", { name: regionName(code), code }) : null;
}
