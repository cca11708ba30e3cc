/** Entry module of the server-rendered pages: sign-in, admin, API reference. */
import { initChrome } from "./chrome.js";
import { initI18n } from "./i18n.js";

initI18n(document.documentElement.lang, {});
initChrome();
