// Folds the filters of a listing (the library, search results) behind their
// "Filters" button on a narrow screen, so the first result is near the top.
// The <details> is open in the markup: without this script every filter is
// shown, and on a desktop the button is hidden and the filters stay open.

const NARROW = window.matchMedia("(max-width: 39.99em)");

function fit(details) {
  details.open = !NARROW.matches;
}

const panels = [...document.querySelectorAll("details[data-filters]")];
panels.forEach(fit);
NARROW.addEventListener("change", () => panels.forEach(fit));
