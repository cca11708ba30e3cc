/** The customer panel: the profile from the pop, or the candidates to choose from, or the new caller. */
import { html, nothing } from "../../vendor/lit-html/lit-html.js";
import { callerKind } from "../calls.js";
import { matchWords, regionWords, tierWords } from "../callwords.js";
import { day, languageName, money, relative, timeIn } from "../format.js";
import { t } from "../i18n.js";
import { callHistory } from "./history.js";

/** Languages offered when creating a customer; the call's own language is added first. */
const LANGUAGES = ["zh-Hans", "en", "yue", "zh-Hant", "ja", "ko"];

function fact(label, value, id) {
  if (value === null || value === undefined || value === "") return nothing;
  return html`<div><dt>${label}</dt><dd id=${id ?? nothing}>${value}</dd></div>`;
}

function rfm(card) {
  if (!card.rfm) return null;
  const { r, f, m } = card.rfm;
  return html`<abbr class="numeric" title=${t("pop.rfm.hint", { r, f, m })}>${t("pop.rfm.scores", { r, f, m })}</abbr>`;
}

function localTime(card, now) {
  const time = timeIn(card.timezone, now);
  return time ? t("pop.local_time_value", { time, zone: card.timezone }) : null;
}

function dedicated(card, me) {
  const agent = card.dedicated_agent;
  if (!agent) return null;
  return agent.id === me.id ? t("pop.dedicated.you", { name: agent.display_name }) : agent.display_name;
}

function lastOrder(card, now) {
  if (!card.last_order_at) return t("pop.no_orders");
  return html`<time translate="no" datetime=${new Date(card.last_order_at).toISOString()} title=${day(card.last_order_at)}>${relative(
    card.last_order_at,
    now,
  )}</time>`;
}

function titleOf(item) {
  const text = item.subject ?? item.title ?? item.name ?? item.text ?? "";
  return item.id !== undefined ? `#${item.id} ${text}`.trim() : text;
}

function listSection(id, title, items, empty) {
  return html`<section class="panel-section" aria-labelledby=${`${id}-title`}>
    <h4 class="panel-section__title" id=${`${id}-title`}>${title}</h4>
    ${items.length
      ? html`<ul class="panel-list" id=${id}>${items.map((item) => html`<li>${titleOf(item)}</li>`)}</ul>`
      : html`<p class="empty" id=${id}>${empty}</p>`}
  </section>`;
}

function profile(entry, ctx) {
  const card = entry.customer;
  const tier = tierWords(card);
  const notes = card.notes?.trim();
  return html`<div class="profile" data-customer-id=${card.id}>
    <h3 class="profile__name" id="customer-name" title=${card.name}>${card.name}</h3>
    ${card.company ? html`<p class="profile__company" title=${card.company}>${card.company}</p>` : nothing}
    ${notes && card.notes_important
      ? html`<p class="important" id="customer-important">
          <span aria-hidden="true">!</span><span><strong>${t("pop.important")}</strong> ${notes}</span>
        </p>`
      : nothing}
    <dl class="facts facts--compact">
      ${fact(t("pop.language"), card.language ? html`<span translate="no">${languageName(card.language)}</span>` : null)}
      ${fact(t("pop.local_time"), localTime(card, ctx.now))}
      ${fact(t("pop.tier"), tier, "customer-tier")}
      ${fact(t("pop.rfm"), rfm(card))}
      ${fact(t("pop.clv"), html`<span class="numeric">${money(card.clv_cents)}</span>`)}
      ${fact(t("pop.revenue_12m"), html`<span class="numeric">${t("pop.revenue_value", {
        amount: money(card.revenue_12m_cents),
        count: card.orders_12m ?? 0,
      })}</span>`)}
      ${fact(t("pop.last_order"), lastOrder(card, ctx.now))}
      ${fact(t("pop.dedicated"), dedicated(card, ctx.me))}
      ${fact(t("pop.email"), card.email ? html`<span class="wrap">${card.email}</span>` : null)}
    </dl>
    ${notes && !card.notes_important ? html`<p class="profile__notes">${notes}</p>` : nothing}
    ${listSection("customer-tickets", t("pop.tickets.title"), entry.tickets ?? [], t("pop.tickets.empty"))}
    ${callHistory(ctx.history, { now: ctx.now, open: ctx.historyOpen, toggle: ctx.actions.toggleHistory })}
    ${listSection("customer-survey", t("pop.survey.title"), entry.last_survey ? [entry.last_survey] : [],
      t("pop.survey.empty"))}
    ${listSection("customer-callbacks", t("pop.callbacks.title"), entry.callbacks ?? [], t("pop.callbacks.empty"))}
    ${listSection("customer-answers", t("pop.answers.title"), entry.answers ?? [], t("pop.answers.empty"))}
  </div>`;
}

function candidates(entry, ctx) {
  if (ctx.ui.mode === "create") return newCustomerForm(entry, ctx);
  return html`<div class="candidates">
    <p class="candidates__intro" id="candidates-intro">${t("pop.candidates.intro")}</p>
    <ol class="candidates__list" aria-labelledby="candidates-intro">
      ${entry.candidates.slice(0, 9).map(
        (card, index) => html`<li>
          <button type="button" class="candidate" data-customer-id=${card.id} aria-keyshortcuts=${index + 1}
              aria-disabled=${String(ctx.ui.busy)} @click=${() => ctx.actions.pick(index + 1)}>
            <kbd translate="no">${index + 1}</kbd>
            <span class="candidate__main">
              <span class="candidate__name" title=${card.name}>${card.name}</span>
              ${card.company ? html`<span class="candidate__company" title=${card.company}>${card.company}</span>` : nothing}
            </span>
            <span class="candidate__meta">
              ${card.tier ? html`<span>${t("pop.tier.plain", { tier: card.tier })}</span>` : nothing}
              <span>${lastOrder(card, ctx.now)}</span>
            </span>
          </button>
        </li>`,
      )}
    </ol>
    <button type="button" class="btn" id="candidates-none" aria-keyshortcuts="0" @click=${ctx.actions.none}>
      <kbd translate="no">0</kbd> ${t("pop.candidates.none")}
    </button>
    ${ctx.ui.error ? html`<p class="hint hint--error">${ctx.ui.error}</p>` : nothing}
  </div>`;
}

function languageOptions(callLanguage) {
  const tags = [...new Set([callLanguage, ...LANGUAGES].filter(Boolean))];
  return html`<option value="">${t("pop.create.language_unknown")}</option>
    ${tags.map((tag) => html`<option value=${tag} translate="no" ?selected=${tag === callLanguage}>${languageName(tag)}</option>`)}`;
}

function newCustomerForm(entry, ctx) {
  const busy = ctx.ui.busy;
  return html`<form class="quickform" id="quick-create" aria-labelledby="quick-create-title" novalidate
      @submit=${ctx.actions.submitCreate}>
    <h4 class="panel-section__title" id="quick-create-title" tabindex="-1">${t("pop.create.title")}</h4>
    <p class="hint">${t("pop.create.number", { number: entry.call.number_display ?? entry.call.number ?? "" })}</p>
    <div class="field">
      <label for="qc-name">${t("pop.create.name")}</label>
      <input id="qc-name" name="name" required maxlength="200" autocomplete="off"
          aria-invalid=${ctx.ui.error ? "true" : "false"} aria-describedby="quick-create-error">
    </div>
    <div class="field">
      <label for="qc-language">${t("pop.create.language")}</label>
      <select id="qc-language" name="language" class="select">${languageOptions(entry.call.language)}</select>
    </div>
    <div class="field">
      <label for="qc-company">${t("pop.create.company")}</label>
      <input id="qc-company" name="company" maxlength="200" autocomplete="off">
    </div>
    <p class="hint hint--error" id="quick-create-error">${ctx.ui.error ?? ""}</p>
    <div class="quickform__actions">
      <button type="submit" class="btn btn--primary" aria-keyshortcuts="Control+Enter" aria-disabled=${String(busy)}>
        ${t("pop.create.save")} <kbd translate="no">Ctrl+Enter</kbd>
      </button>
      <button type="button" class="btn btn--quiet" @click=${ctx.actions.closeForm}>${t("pop.create.cancel")}</button>
    </div>
  </form>`;
}

function searchResults(ctx) {
  const { results, query, searching } = ctx.ui;
  if (!query) return nothing;
  if (searching && !results) return html`<p class="hint">${t("pop.search.searching")}</p>`;
  if (!results?.length) return html`<p class="hint" id="search-none">${t("pop.search.none")}</p>`;
  return html`<ul class="results" id="search-results">
    ${results.map(
      (customer) => html`<li>
        <button type="button" class="result" data-customer-id=${customer.id} aria-disabled=${String(ctx.ui.busy)}
            @click=${() => ctx.actions.linkExisting(customer)}>
          <span class="result__name" title=${customer.name}>${customer.name}</span>
          <span class="result__meta">${[customer.company, customer.phones?.[0]?.display].filter(Boolean).join(" · ")}</span>
        </button>
      </li>`,
    )}
  </ul>`;
}

function searchForm(ctx) {
  return html`<div class="findcustomer" id="find-customer">
    <h4 class="panel-section__title" id="find-customer-title" tabindex="-1">${t("pop.search.title")}</h4>
    <div class="field">
      <label for="customer-search">${t("pop.search.label")}</label>
      <input id="customer-search" type="search" autocomplete="off" maxlength="100"
          @input=${(event) => ctx.actions.search(event.target.value)}>
    </div>
    <div role="status" class="findcustomer__results">${searchResults(ctx)}</div>
    ${ctx.ui.error ? html`<p class="hint hint--error">${ctx.ui.error}</p>` : nothing}
    <button type="button" class="btn btn--quiet" @click=${ctx.actions.closeForm}>${t("pop.create.cancel")}</button>
  </div>`;
}

function newCaller(entry, ctx) {
  const { call, match } = entry;
  const region = regionWords(match?.region ?? match?.region_used);
  return html`<div class="newcaller" id="new-caller">
    <p class="newcaller__status"><span aria-hidden="true">?</span> ${matchWords({ kind: "none" })}</p>
    <dl class="facts facts--compact">
      ${fact(t("pop.number_national"), call.number_display ?? call.number, "new-caller-national")}
      ${fact(t("pop.number_e164"), match?.e164, "new-caller-e164")}
      ${fact(t("pop.region_label"), region)}
    </dl>
    ${ctx.ui.mode === "create"
      ? newCustomerForm(entry, ctx)
      : ctx.ui.mode === "search"
        ? searchForm(ctx)
        : html`<div class="newcaller__actions">
            <button type="button" class="btn" id="new-customer" aria-keyshortcuts="N" @click=${ctx.actions.openCreate}>
              <kbd translate="no">N</kbd> ${t("pop.create.open")}
            </button>
            <button type="button" class="btn btn--quiet" id="add-existing" @click=${ctx.actions.openSearch}>
              ${t("pop.search.open")}
            </button>
          </div>`}
  </div>`;
}

function withheld() {
  return html`<div class="newcaller" id="withheld">
    <p class="newcaller__status"><span aria-hidden="true">?</span> ${t("pop.match.withheld")}</p>
    <p class="hint">${t("pop.withheld_hint")}</p>
  </div>`;
}

/**
 * The panel for `entry` (null: nothing shown).
 * @param {object} ctx `{now, me, ui, history, historyOpen, actions}`
 */
export function customerPanel(entry, ctx) {
  if (!entry) return html`<p class="empty">${t("console.customer.empty")}</p>`;
  switch (callerKind(entry)) {
    case "customer":
      return profile(entry, ctx);
    case "several":
      return candidates(entry, ctx);
    case "withheld":
      return withheld();
    case "loading":
      return html`<p class="empty">${t("pop.loading")}</p>`;
    default:
      return newCaller(entry, ctx);
  }
}
