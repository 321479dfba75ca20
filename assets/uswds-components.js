// The USWDS components our pages use, which `make assets` bundles with
// esbuild into static/vendor/uswds/js/uswds.trimmed.min.js; base.html loads
// that instead of the full uswds.min.js, which carries every component
// (date and time pickers, combo box, modal, tooltip, tables, masks...).
// A template that starts using another component with behaviour adds it
// here; tests/connect/test_assets.py checks the list against the markup.
//
// What this does, it does as USWDS's own start.js: flag that USWDS is
// present (uswds-init.js lifts its loading guard on it) and turn each
// component on for the whole document once the DOM is ready.
window.uswdsPresent = true;

const components = [
  require("@uswds/uswds/js/usa-accordion"), // the "More" menu and other accordions
  require("@uswds/uswds/js/usa-button"), // links styled as buttons answer the space bar
  require("@uswds/uswds/js/usa-file-input"), // the library's upload field
  require("@uswds/uswds/js/usa-header"), // the phone menu, its overlay and focus trap
  require("@uswds/uswds/js/usa-skipnav"), // "Skip to main content" moves focus
];

const start = () => components.forEach((component) => component.on(document.body));

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start, { once: true });
} else {
  start();
}
