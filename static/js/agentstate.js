/** An agent's state in words: presence and work, which one shows, since when; console and wallboard share it.
 *
 * The server sends an agent as `{presence, reason, since, work, call_id, work_since, wrap_up, missed_in_row}`.
 * While the agent works a call (ringing, on call, wrap-up) the work is their state; when idle, their
 * presence is. An idle agent's time in state counts from the later of the two changes, so an agent
 * back from a call reads "Available 0:12", not the time since they first went available.
 */
import { t } from "./i18n.js";
import { presenceLabel } from "./presence.js";

/** An icon per state; the word always stands beside it. */
export const STATE_ICONS = {
  available: "●",
  away: "❚❚",
  offline: "○",
  ringing: "☎",
  on_call: "◉",
  wrap_up: "✎",
};

/** Work states in which the agent is busy with a call. */
export const BUSY = new Set(["ringing", "on_call", "wrap_up"]);

/** The word of a work state. */
export function workLabel(work) {
  if (work === "ringing") return t("work.ringing");
  if (work === "on_call") return t("work.on_call");
  if (work === "wrap_up") return t("work.wrap_up");
  return t("work.idle");
}

/** The state an agent shows: `{kind, word, since}`; `kind` names the colour and icon. */
export function shownState(agent) {
  const work = agent.work ?? "idle";
  if (BUSY.has(work)) return { kind: work, word: workLabel(work), since: agent.work_since ?? agent.since };
  const since = agent.presence === "offline" ? agent.since : Math.max(agent.since ?? 0, agent.work_since ?? 0);
  return { kind: agent.presence, word: presenceLabel(agent.presence), since };
}

/** True when the server set the agent away because calls rang out unanswered. */
export function awayForMissedCalls(agent) {
  return agent?.presence === "away" && agent.reason === "missed_calls";
}

/** Milliseconds left of a wrap-up at `now`, or null when it has no time limit. */
export function wrapUpLeft(agent, now) {
  const due = agent?.wrap_up?.due_at;
  return typeof due === "number" ? Math.max(0, due - now) : null;
}
