/** Light or dark: the system's choice until the user flips the toggle, then theirs. */

const THEME_KEY = "callcenter.theme";
const dark = window.matchMedia("(prefers-color-scheme: dark)");

function stored() {
  const value = localStorage.getItem(THEME_KEY);
  return value === "light" || value === "dark" ? value : null;
}

/** The theme in force now. */
export function currentTheme() {
  return stored() ?? (dark.matches ? "dark" : "light");
}

/** Apply the stored theme and wire the header's toggle button, if the page has one. */
export function initTheme() {
  const root = document.documentElement;
  const button = document.getElementById("theme-toggle");
  const show = () => {
    const theme = stored();
    if (theme) root.dataset.theme = theme;
    else delete root.dataset.theme;
    button?.setAttribute("aria-pressed", String(currentTheme() === "dark"));
  };
  show();
  dark.addEventListener("change", show);
  if (!button) return;
  button.hidden = false;
  button.addEventListener("click", () => {
    localStorage.setItem(THEME_KEY, currentTheme() === "dark" ? "light" : "dark");
    show();
  });
}
