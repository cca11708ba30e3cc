/** Routing decisions in words: why a call went where it went, who else was considered, who was passed over.
 *
 * The server stores codes (`rule`, exclusion `reason`, optionally `:<skill>`); the words are the
 * page's. `ctx.agent(id)` names an agent, `ctx.queue(key)` names a queue; codes this page does
 * not know are shown as sent.
 */
import { clock } from "./format.js";
import { t } from "./i18n.js";

/** Why: one sentence for the decision's rule, with the chosen agent, target or queue. */
export function ruleWords(decision, ctx) {
  const agent = decision.agent_id !== null && decision.agent_id !== undefined ? ctx.agent(decision.agent_id) : "";
  const target = decision.target ? ctx.queue(decision.target) : null;
  const turnedAway = decision.action !== "overflow" || !target;
  switch (decision.rule) {
    case "dedicated_agent":
      return t("routing.rule.dedicated_agent", { agent });
    case "skills_longest_idle":
      return t("routing.rule.skills_longest_idle", { agent });
    case "longest_waiting":
      return t("routing.rule.longest_waiting", { agent });
    case "already_ringing":
      return t("routing.rule.already_ringing", { agent });
    case "no_agent_free":
      return decision.qualified > 0
        ? t("routing.rule.no_agent_free", { count: decision.qualified })
        : t("routing.rule.no_agent_skilled");
    case "overflow_max_wait":
      return turnedAway ? t("routing.rule.max_wait_rejected") : t("routing.rule.max_wait", { target });
    case "overflow_max_queue":
      return turnedAway ? t("routing.rule.max_queue_rejected") : t("routing.rule.max_queue", { target });
    case "unknown_queue":
      return t("routing.rule.unknown_queue", { queue: decision.queue_id || "—" });
    case "closed_hours":
      return decision.target ? t("routing.rule.closed_to", { target: decision.target }) : t("routing.rule.closed");
    default:
      return t("routing.rule.unknown", { rule: decision.rule });
  }
}

/** Why an agent was passed over, e.g. "on a call", "lacks French". */
export function exclusionWords(reason) {
  const [code, skill] = String(reason).split(/:(.*)/s);
  switch (code) {
    case "away":
      return t("routing.excluded.away");
    case "offline":
      return t("routing.excluded.offline");
    case "wrap_up":
      return t("routing.excluded.wrap_up");
    case "on_call":
      return t("routing.excluded.on_call");
    case "ringing":
      return t("routing.excluded.ringing");
    case "at_capacity":
      return t("routing.excluded.at_capacity");
    case "already_missed":
      return t("routing.excluded.already_missed");
    case "missing_skill":
      return t("routing.excluded.missing_skill", { skill: skill ?? "" });
    case "proficiency_below":
      return t("routing.excluded.proficiency_below", { skill: skill ?? "" });
    default:
      return reason;
  }
}

/** A candidate with what ranked them: skill score, time idle, calls already on their lines. */
export function candidateWords(candidate, ctx) {
  const params = {
    agent: ctx.agent(candidate.user_id),
    score: candidate.proficiency,
    idle: clock((candidate.idle_s ?? 0) * 1000),
  };
  return candidate.calls > 0
    ? t("routing.candidate_busy", { ...params, count: candidate.calls })
    : t("routing.candidate", params);
}

/** The counts and waits under the sentence: skilled and free agents, the call's wait, a tier's head start. */
export function decisionFacts(decision) {
  const facts = [];
  if (decision.qualified > 0) facts.push(t("routing.free_of", { free: decision.free, count: decision.qualified }));
  if (decision.waited_ms > 0) facts.push(t("routing.waited", { time: clock(decision.waited_ms) }));
  if (decision.bonus_ms > 0) facts.push(t("routing.bonus", { time: clock(decision.bonus_ms) }));
  return facts;
}
