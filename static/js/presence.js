/** The agent's presence: the reasons offered, how a state reads, and changing it over the socket. */
import { t } from "./i18n.js";
import { addNotice } from "./live.js";
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

/** The change in words when someone else (a supervisor) made it; the push names them only by id. */
function setBySentence(state) {
  if (state.presence === "available") return t("presence.set_by.available");
  if (state.presence === "away" && state.reason) {
    return t("presence.set_by.away_reason", { reason: reasonLabel(state.reason) });
  }
  if (state.presence === "away") return t("presence.set_by.away");
  return t("presence.set_by.offline");
}

/** The agent's whole state as the store keeps it (the snapshot's part and `agent:state` have this shape). */
function agentOf(state) {
  return {
    user_id: state.user_id,
    presence: state.presence ?? "offline",
    reason: state.reason ?? null,
    since: state.since ?? null,
    work: state.work ?? "idle",
    call_id: state.call_id ?? null,
    work_since: state.work_since ?? null,
    wrap_up: state.wrap_up ?? null,
    missed_in_row: state.missed_in_row ?? 0,
  };
}

/** Put a server-sent agent state in the store as `agent`; `speak` announces a presence change once.
 *
 * A change a supervisor made (`set_by` names someone else) stays on the page as a notice, so an
 * agent who was looking away still learns why their state moved. Being set away for missed calls
 * is said assertively: the agent takes no calls until they act.
 * Returns the state before and after, for the work and wrap-up views to compare.
 */
export function showPresence(store, state, speak) {
  const next = agentOf(state);
  const previous = store.get().agent;
  const changed =
    !previous || previous.presence !== next.presence || previous.reason !== next.reason;
  store.set({ agent: next });
  const byOther = state.set_by !== null && state.set_by !== undefined && state.set_by !== next.user_id;
  if (changed && speak) {
    if (byOther) {
      addNotice(store, { text: setBySentence(next), level: "info" });
    } else if (next.presence === "away" && next.reason === "missed_calls") {
      alertNow(t("presence.now.missed_calls", { count: next.missed_in_row }));
    } else {
      announce(sentence(next));
    }
  }
  return { previous, next };
}

/** The presence actions of the console, sent as `agent:presence`; `onState` takes the state the ack confirms. */
export function createPresence({ channel, store, onState }) {
  let last = { key: "", at: 0 };
  let next = null; // asked for while another change was on its way: sent once that one is answered

  async function send(presence, reason) {
    if (!channel.live) {
      alertNow(t("presence.error.offline"));
      return;
    }
    // A repeated key or double click within a second counts once.
    const key = `${presence}:${reason}`;
    if (key === last.key && Date.now() - last.at < THROTTLE_MS) return;
    if (store.get().pending) {
      // One change at a time; the latest choice made meanwhile follows (keys pressed quickly,
      // say "a" then "p 2", are never silently dropped).
      next = { presence, reason };
      store.set({ reasonsOpen: false });
      return;
    }
    last = { key, at: Date.now() };
    store.set({ pending: true, reasonsOpen: false });
    const ack = await channel.request("agent:presence", reason ? { presence, reason } : { presence });
    store.set({ pending: false });
    if (ack?.ok && ack.state) onState(ack.state);
    else alertNow(t("presence.error.failed"));
    if (next) {
      const queued = next;
      next = null;
      await send(queued.presence, queued.reason);
    }
  }

  return {
    available: () => send("available", null),
    away: (reason) => send("away", reason),
  };
}
