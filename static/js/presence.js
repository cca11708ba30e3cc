/** The agent's presence: the reasons offered, how a state reads, and changing it over the socket. */
import { t } from "./i18n.js";
import { alertNow, announce } from "./notify.js";

const THROTTLE_MS = 1000;

/** Away reasons offered in the menu, in order (keys 1…n pick them). */
export const REASONS = ["break", "lunch", "meeting", "training"];

/** A reason's words; a reason the server set that the catalog does not know reads as sent. */
export function reasonLabel(code) {
  const labels = {
    break: () => t("presence.reason.break"),
    lunch: () => t("presence.reason.lunch"),
    meeting: () => t("presence.reason.meeting"),
    training: () => t("presence.reason.training"),
    missed_calls: () => t("presence.reason.missed_calls"),
    disconnected: () => t("presence.reason.disconnected"),
  };
  return labels[code] ? labels[code]() : code;
}

/** The state word of a presence, e.g. "Available" or "Away" (the reason goes beside it). */
export function presenceLabel(presence) {
  if (presence === "available") return t("presence.available");
  if (presence === "away") return t("presence.away");
  return t("presence.offline");
}

function sentence(state) {
  if (state.presence === "available") return t("presence.now.available");
  if (state.presence === "away" && state.reason) {
    return t("presence.now.away_reason", { reason: reasonLabel(state.reason) });
  }
  if (state.presence === "away") return t("presence.now.away");
  return t("presence.now.offline");
}

/** Put a server-sent presence in the store; `speak` announces a change once. */
export function showPresence(store, state, speak) {
  const next = { presence: state.presence, reason: state.reason ?? null, since: state.since };
  const previous = store.get().presence;
  const changed =
    !previous || previous.presence !== next.presence || previous.reason !== next.reason;
  store.set({ presence: next });
  if (changed && speak) announce(sentence(next));
}

/** The presence actions of the console, sent as `agent:presence` and confirmed by the ack. */
export function createPresence({ channel, store }) {
  let last = { key: "", at: 0 };

  async function send(presence, reason) {
    if (!channel.live) {
      alertNow(t("presence.error.offline"));
      return;
    }
    // One change at a time, and a repeated key or double click within a second counts once.
    const key = `${presence}:${reason}`;
    if (store.get().pending || (key === last.key && Date.now() - last.at < THROTTLE_MS)) return;
    last = { key, at: Date.now() };
    store.set({ pending: true, reasonsOpen: false });
    const ack = await channel.request("agent:presence", reason ? { presence, reason } : { presence });
    store.set({ pending: false });
    if (ack?.ok && ack.state) showPresence(store, ack.state, true);
    else alertNow(t("presence.error.failed"));
  }

  return {
    available: () => send("available", null),
    away: (reason) => send("away", reason),
  };
}
