/** Entry module of the supervisor wallboard (`/supervisor`): connection chrome and notices. */
import { render } from "../vendor/lit-html/lit-html.js";
import { readBoot } from "./boot.js";
import { initChrome } from "./chrome.js";
import { initI18n } from "./i18n.js";
import { dismissNotice, startLive } from "./live.js";
import { createStore } from "./store.js";
import { syncClock } from "./ticker.js";
import { connectionBand } from "./views/connection.js";
import { noticeList } from "./views/notices.js";
import { statusBar } from "./views/statusbar.js";

const boot = readBoot();
initI18n(boot.locale, boot.messages);
syncClock(boot.server_now);
initChrome();

const store = createStore({ me: boot.user, connection: "connecting", notices: [] });
const channel = startLive({ boot, store });

const bar = document.getElementById("statusbar");
const band = document.getElementById("connection-band");
const notices = document.getElementById("notices");

function draw() {
  const state = store.get();
  render(statusBar(state, { live: channel.live, presence: false, shortcuts: false }), bar);
  render(connectionBand(state.connection), band);
  render(noticeList(state.notices, (id) => dismissNotice(store, id)), notices);
}

store.subscribe(draw);
draw();
