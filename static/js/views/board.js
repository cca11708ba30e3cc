/** The supervisor's live board: tiles, queues, calls waiting and active, agents by state, routing decisions.
 *
 * Every time on the board counts from a server timestamp, so it ticks with the page's one clock.
 * Callers show as a customer's name or the masked number the server sent; never a full number.
 */
import { html, nothing } from "../../vendor/lit-html/lit-html.js";
import { repeat } from "../../vendor/lit-html/directives/repeat.js";
import { live } from "../../vendor/lit-html/directives/live.js";
import { BUSY, STATE_ICONS, shownState, workLabel } from "../agentstate.js";
import { queueRows, targetOf } from "../board.js";
import { STATE_ICONS as CALL_ICONS, stateLabel } from "../callwords.js";
import { clock, dateTime, percent, spokenDuration, timeOfDay } from "../format.js";
import { t } from "../i18n.js";
import { REASONS, presenceLabel, reasonLabel } from "../presence.js";
import { candidateWords, decisionFacts, exclusionWords, ruleWords } from "../routingwords.js";

/** Kinds of agent state in the order the Agents tile counts them. */
const KINDS = ["available", "ringing", "on_call", "wrap_up", "away", "offline"];
const FILTERS = ["all", "available", "busy", "away", "offline"];

function timer(ms) {
  return html`<span class="numeric" role="timer" aria-live="off" aria-label=${spokenDuration(ms)}>${clock(ms)}</span>`;
}

/** A figure the board does not have yet (later features fill it): a dash that says so. */
function noFigure() {
  return html`<span aria-hidden="true">–</span><span class="visually-hidden">${t("wallboard.tile.empty")}</span>`;
}

/** Names for the board's ids: agents, queues, callers. */
export function namer(board, locale) {
  const agents = new Map((board?.agents ?? []).map((agent) => [agent.user_id, agent]));
  const queues = new Map((board?.queues ?? []).map((queue) => [queue.key, queue]));
  const calls = new Map([...(board?.waiting ?? []), ...(board?.active ?? [])].map((call) => [call.call_id, call]));
  return {
    agent(id) {
      const agent = agents.get(id);
      return agent ? agent.display_name || agent.username : t("wallboard.agent_id", { id });
    },
    queue(key) {
      const queue = queues.get(key);
      if (!queue) return key ?? "—";
      return locale === "zh-Hans" && queue.name_zh ? queue.name_zh : queue.name;
    },
    caller(call) {
      return call?.customer_name || call?.number_masked || t("wallboard.caller_unknown");
    },
    call(id) {
      return calls.get(id) ?? null;
    },
  };
}

function kindLabel(kind) {
  return BUSY.has(kind) ? workLabel(kind) : presenceLabel(kind);
}

// --- tiles ------------------------------------------------------------------------------------------

/** The Waiting tile: calls waiting, the longest wait, and whether a call waits past its queue's target. */
export function waitingTile(board, now) {
  if (!board) return html`<p class="tile__empty">${t("wallboard.loading")}</p>`;
  const waits = board.waiting.map((call) => ({ wait: now - call.enqueued_at, target: targetOf(board, call.queue) }));
  const longest = waits.reduce((most, item) => Math.max(most, item.wait), 0);
  const over = waits.filter((item) => item.target !== null && item.wait > item.target * 1000).length;
  return html`<div class="tile__body ${over ? "tile__body--warn" : ""}" id="tile-waiting-figures" data-waiting=${board.waiting.length}>
    <p class="tile__number numeric">${board.waiting.length}</p>
    <p class="tile__beneath">${waits.length ? html`${t("wallboard.longest")} ${timer(longest)}` : t("wallboard.none_waiting")}</p>
    ${over ? html`<p class="tile__alarm"><span aria-hidden="true">▲</span> ${t("wallboard.over_target", { count: over })}</p>` : nothing}
  </div>`;
}

/** The Agents tile: how many agents in each state, occupancy over the last 24 hours. */
export function agentsTile(board) {
  if (!board) return html`<p class="tile__empty">${t("wallboard.loading")}</p>`;
  const counts = Object.fromEntries(KINDS.map((kind) => [kind, 0]));
  for (const agent of board.agents) counts[shownState(agent).kind] = (counts[shownState(agent).kind] ?? 0) + 1;
  const shares = board.agents.map((agent) => agent.occupancy).filter((value) => typeof value === "number");
  const occupancy = shares.length ? shares.reduce((sum, value) => sum + value, 0) / shares.length : null;
  const starved = counts.available === 0 && board.waiting.length > 0;
  return html`<div class="tile__body ${starved ? "tile__body--warn" : ""}" id="tile-agents-figures">
    <ul class="statecounts">
      ${KINDS.filter((kind) => counts[kind] > 0 || kind === "available").map(
        (kind) => html`<li class="statecount statecount--${kind}" data-kind=${kind}>
          <span aria-hidden="true">${STATE_ICONS[kind]}</span>
          <span class="numeric">${counts[kind]}</span> ${kindLabel(kind)}
        </li>`,
      )}
    </ul>
    <p class="tile__beneath">${occupancy === null ? t("wallboard.occupancy_none") : t("wallboard.occupancy", { value: percent(occupancy) })}</p>
    ${starved ? html`<p class="tile__alarm"><span aria-hidden="true">▲</span> ${t("wallboard.no_agent_available")}</p>` : nothing}
  </div>`;
}

// --- queues -----------------------------------------------------------------------------------------

/** The queue table's rows. */
export function queueTable(board, { now, names }) {
  if (!board) return html`<tr><td colspan="8" class="empty">${t("wallboard.loading")}</td></tr>`;
  const rows = queueRows(board);
  if (!rows.length) return html`<tr><td colspan="8" class="empty">${t("wallboard.queues.empty")}</td></tr>`;
  return html`${repeat(
    rows,
    (row) => row.queue.key,
    (row) => {
      const longest = row.oldest === null ? null : now - row.oldest;
      const target = row.queue.service_level_s;
      const over = longest !== null && target && longest > target * 1000;
      return html`<tr data-queue=${row.queue.key} class=${over ? "is-over" : ""}>
        <th scope="row"><span title=${row.queue.key} translate="no">${names.queue(row.queue.key)}</span></th>
        <td class="numeric" data-col="waiting">${row.waiting}</td>
        <td data-col="longest">${longest === null ? noFigure() : html`${timer(longest)}${over
          ? html` <span class="overmark"><span aria-hidden="true">▲</span> ${t("wallboard.over_target_short")}</span>`
          : nothing}`}</td>
        <td>${noFigure()}${target ? html` <span class="hint">${t("wallboard.target", { seconds: target })}</span>` : nothing}</td>
        <td>${noFigure()}</td>
        <td>${noFigure()}</td>
        <td>${noFigure()}</td>
        <td>${noFigure()}</td>
      </tr>`;
    },
  )}`;
}

// --- calls ------------------------------------------------------------------------------------------

function tierBadge(tier) {
  if (!tier) return noFigure();
  return html`<span class="tier tier--${tier}"><span class="tier__letter" aria-hidden="true" translate="no">${tier}</span><span>${t(
    "pop.tier.plain",
    { tier },
  )}</span></span>`;
}

/** Calls waiting in a queue (or ringing an agent), longest first. */
export function waitingTable(board, { now, names }) {
  if (!board) return html`<tr><td colspan="5" class="empty">${t("wallboard.loading")}</td></tr>`;
  if (!board.waiting.length) return html`<tr><td colspan="5" class="empty">${t("wallboard.waiting.empty")}</td></tr>`;
  const calls = [...board.waiting].sort((a, b) => a.enqueued_at - b.enqueued_at);
  return html`${repeat(
    calls,
    (call) => call.call_id,
    (call) => html`<tr data-call-id=${call.call_id} data-state=${call.state}>
      <th scope="row"><span class="caller" title=${names.caller(call)} translate="no">${names.caller(call)}</span></th>
      <td><span translate="no">${names.queue(call.queue)}</span></td>
      <td>${tierBadge(call.tier)}</td>
      <td data-col="wait">${timer(now - call.enqueued_at)}</td>
      <td data-col="state">${call.state === "ringing" && call.agent_id !== null
        ? html`<span class="callstate callstate--ringing"><span aria-hidden="true">☎</span> ${t("wallboard.ringing_agent", {
          agent: names.agent(call.agent_id),
        })}</span>${call.ringing_since ? html` ${timer(now - call.ringing_since)}` : nothing}`
        : html`<span class="callstate"><span aria-hidden="true">◷</span> ${t("wallboard.waiting_state")}</span>`}
        ${call.attempts > 0 ? html`<span class="hint">${t("wallboard.attempts", { count: call.attempts })}</span>` : nothing}
      </td>
    </tr>`,
  )}`;
}

/** Calls ringing an agent or in progress, newest first. */
export function activeTable(board, { now, names }) {
  if (!board) return html`<tr><td colspan="5" class="empty">${t("wallboard.loading")}</td></tr>`;
  if (!board.active.length) return html`<tr><td colspan="5" class="empty">${t("wallboard.active.empty")}</td></tr>`;
  return html`${repeat(
    board.active,
    (call) => call.call_id,
    (call) => {
      const since = call.state === "answered" ? call.answered_at ?? call.started_at : call.started_at;
      const word = call.on_hold ? t("wallboard.on_hold") : stateLabel({ state: call.state });
      return html`<tr data-call-id=${call.call_id} data-state=${call.on_hold ? "on_hold" : call.state}>
        <th scope="row"><span class="caller" title=${names.caller(call)} translate="no">${names.caller(call)}</span></th>
        <td>${call.queue ? html`<span translate="no">${names.queue(call.queue)}</span>` : noFigure()}</td>
        <td>${call.agent_id !== null && call.agent_id !== undefined
          ? html`<span translate="no">${names.agent(call.agent_id)}</span>` : noFigure()}</td>
        <td><span class="callstate callstate--${call.state}"><span aria-hidden="true">${call.on_hold ? "❚❚" : CALL_ICONS[call.state] ?? "■"}</span>
          ${word}</span></td>
        <td>${since ? timer(now - since) : noFigure()}</td>
      </tr>`;
    },
  )}`;
}

// --- agents -----------------------------------------------------------------------------------------

function matchesFilter(agent, filter) {
  const kind = shownState(agent).kind;
  if (filter === "busy") return BUSY.has(kind);
  return filter === "all" || kind === filter;
}

function filterLabel(filter) {
  if (filter === "all") return t("wallboard.filter.all");
  if (filter === "busy") return t("wallboard.filter.busy");
  return kindLabel(filter);
}

/** The filter above the agent board. */
export function agentTools(filter, setFilter) {
  return html`<div class="field field--inline boardtools">
    <label for="agent-filter">${t("wallboard.filter.label")}</label>
    <select id="agent-filter" class="select select--compact" .value=${live(filter)}
        @change=${(event) => setFilter(event.target.value)}>
      ${FILTERS.map((value) => html`<option value=${value} ?selected=${value === filter}>${filterLabel(value)}</option>`)}
    </select>
  </div>`;
}

function currentWork(agent, names) {
  if (!BUSY.has(agent.work) || agent.call_id === null) return noFigure();
  const call = names.call(agent.call_id);
  const queue = agent.queue ?? call?.queue ?? null;
  return html`<span class="work">${call ? html`<span translate="no">${names.caller(call)}</span>`
    : t("wallboard.call_id", { id: agent.call_id })}${queue
    ? html` <span class="hint" translate="no">${names.queue(queue)}</span>`
    : nothing}</span>`;
}

/** The agent board: longest in their state first (offline last), so agents stuck in a state surface. */
export function agentTable(board, { now, names, filter, actions }) {
  if (!board) return html`<tr><td colspan="6" class="empty">${t("wallboard.loading")}</td></tr>`;
  const agents = board.agents
    .filter((agent) => matchesFilter(agent, filter))
    .map((agent) => ({ agent, shown: shownState(agent) }))
    .sort((a, b) => (a.shown.kind === "offline") - (b.shown.kind === "offline")
      || (a.shown.since ?? 0) - (b.shown.since ?? 0)
      || a.agent.user_id - b.agent.user_id);
  if (!agents.length) return html`<tr><td colspan="6" class="empty">${t("wallboard.agents.empty")}</td></tr>`;
  return html`${repeat(
    agents,
    ({ agent }) => agent.user_id,
    ({ agent, shown }) => {
      const name = agent.display_name || agent.username;
      return html`<tr data-user-id=${agent.user_id} data-state=${shown.kind}>
        <th scope="row"><span class="agentname" title=${agent.username ?? name} translate="no">${name}</span></th>
        <td data-col="state"><span class="state state--${shown.kind}"><span aria-hidden="true">${STATE_ICONS[shown.kind]}</span>
          ${shown.word}</span>${agent.presence === "away" && agent.reason
          ? html` <span class="state__reason">${reasonLabel(agent.reason)}</span>`
          : nothing}${BUSY.has(shown.kind) && agent.presence !== "available"
          ? html` <span class="state__reason">${t("work.next", { state: agent.presence === "away" && agent.reason ? reasonLabel(agent.reason) : kindLabel(agent.presence) })}</span>`
          : nothing}${agent.missed_in_row > 0
          ? html` <span class="missed"><span aria-hidden="true">⚠</span> ${t("wallboard.missed", { count: agent.missed_in_row })}</span>`
          : nothing}</td>
        <td data-col="time">${shown.since && shown.kind !== "offline" ? timer(now - shown.since) : noFigure()}</td>
        <td data-col="work">${currentWork(agent, names)}</td>
        <td class="numeric">${typeof agent.occupancy === "number" ? percent(agent.occupancy) : noFigure()}</td>
        <td><button type="button" class="btn btn--quiet" data-change-state=${agent.user_id}
            aria-label=${t("wallboard.change.open_for", { name })} aria-haspopup="dialog"
            @click=${(event) => actions.openChange(agent, event.currentTarget)}>${t("wallboard.change.open")}</button></td>
      </tr>`;
    },
  )}`;
}

// --- decisions --------------------------------------------------------------------------------------

function decisionItem(decision, names) {
  const call = names.call(decision.call_id);
  const facts = decisionFacts(decision);
  const at = decision.decided_at;
  return html`<li class="decision decision--${decision.action}" data-decision-id=${decision.id}
      data-call-id=${decision.call_id} data-rule=${decision.rule}>
    <p class="decision__head">
      ${at ? html`<time class="numeric" datetime=${new Date(at).toISOString()} title=${dateTime(at)} translate="no">${timeOfDay(at)}</time>` : nothing}
      ${call ? html`<span class="decision__call" translate="no">${names.caller(call)}</span>`
        : html`<span class="decision__call">${t("wallboard.call_id", { id: decision.call_id })}</span>`}
      ${decision.queue_id ? html`<span class="hint" translate="no">${names.queue(decision.queue_id)}</span>` : nothing}
    </p>
    <p class="decision__why">${ruleWords(decision, names)}</p>
    ${facts.length ? html`<p class="decision__facts hint">${facts.join(" · ")}</p>` : nothing}
    ${decision.candidates?.length
      ? html`<div class="decision__list"><strong>${t("routing.considered")}</strong>
        <ol class="decision__items" data-list="candidates">${decision.candidates.map(
          (candidate) => html`<li data-user-id=${candidate.user_id}>${candidateWords(candidate, names)}</li>`,
        )}</ol></div>`
      : nothing}
    ${decision.excluded?.length
      ? html`<div class="decision__list"><strong>${t("routing.passed_over")}</strong>
        <ul class="decision__items" data-list="excluded">${decision.excluded.map(
          (item) => html`<li data-user-id=${item.user_id}><span translate="no">${names.agent(item.user_id)}</span> —
            <span>${exclusionWords(item.reason)}</span></li>`,
        )}</ul></div>`
      : nothing}
  </li>`;
}

/** The last routing decisions, newest first, each with its why. */
export function decisionList(board, { names }) {
  if (!board) return html`<p class="empty">${t("wallboard.loading")}</p>`;
  if (!board.decisions.length) return html`<p class="empty">${t("wallboard.decisions.empty")}</p>`;
  return html`<ol class="decisions" id="decision-list">
    ${repeat(board.decisions, (decision) => decision.id, (decision) => decisionItem(decision, names))}
  </ol>`;
}

// --- change an agent's state ------------------------------------------------------------------------

/** The states a supervisor can set: available, away for a reason, offline. */
export const STATE_CHOICES = [
  { presence: "available", reason: null },
  ...REASONS.map((reason) => ({ presence: "away", reason })),
  { presence: "offline", reason: null },
];

function choiceLabel(choice) {
  if (choice.presence === "away") return t("wallboard.change.away", { reason: reasonLabel(choice.reason) });
  return kindLabel(choice.presence);
}

/** The dialog's content while it is open. */
export function changeDialog(dialog, { names, actions }) {
  if (!dialog) return nothing;
  const name = names.agent(dialog.agentId);
  return html`<form class="changeform" id="change-form" novalidate @submit=${actions.submitChange}>
    <div class="dialog__head">
      <h2 id="change-title">${t("wallboard.change.title", { name })}</h2>
    </div>
    <fieldset class="changeform__choices" aria-describedby="change-error">
      <legend>${t("wallboard.change.legend")}</legend>
      ${STATE_CHOICES.map((choice, index) => {
        const value = `${choice.presence}:${choice.reason ?? ""}`;
        return html`<div class="field field--inline">
          <input type="radio" name="state" id=${`change-${index}`} value=${value}
              .checked=${live(dialog.choice === value)} @change=${() => actions.chooseChange(value)}>
          <label for=${`change-${index}`}><span aria-hidden="true">${STATE_ICONS[choice.presence]}</span> ${choiceLabel(choice)}</label>
        </div>`;
      })}
    </fieldset>
    <p class="hint">${t("wallboard.change.audited")}</p>
    <p class="hint hint--error" id="change-error">${dialog.error ?? ""}</p>
    <div class="quickform__actions">
      <button type="submit" class="btn btn--primary" id="change-apply" aria-disabled=${String(dialog.busy)}>${t(
        "wallboard.change.apply",
      )}</button>
      <button type="button" class="btn btn--quiet" @click=${actions.closeChange}>${t("wallboard.change.cancel")}</button>
    </div>
  </form>`;
}
