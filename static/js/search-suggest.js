// Suggestions as a member types in the header search box.
//
// The WAI-ARIA combobox pattern, as USWDS's combo box uses it: the input is a
// combobox owning a listbox; arrow keys move through the options and the
// input points at the current one with aria-activedescendant, so focus never
// leaves the box; Enter opens the chosen suggestion (or, with none chosen,
// submits the search as usual); Escape closes the list. A polite live region
// says how many suggestions there are. Requests wait until typing pauses and
// a newer request cancels an older one. Suggestions are titles and names the
// server has already checked the member may see; they are inserted as text,
// never as markup. Without JavaScript the box is a plain GET search form.

const DEBOUNCE_MS = 200;
const MIN_CHARS = 2;

function setup(form) {
  const input = form.querySelector('input[name="q"]');
  const list = form.querySelector('[role="listbox"]');
  const status = form.querySelector('[role="status"]');
  if (!input || !list) return;
  const url = form.dataset.suggest;
  let timer = null;
  let controller = null;
  let options = [];
  let active = -1;
  let lastQuery = "";

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", list.id);

  function announce(text) {
    if (status) status.textContent = text;
  }

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function setActive(index) {
    options.forEach((option, i) => option.setAttribute("aria-selected", String(i === index)));
    active = index;
    if (index < 0) {
      input.removeAttribute("aria-activedescendant");
      return;
    }
    input.setAttribute("aria-activedescendant", options[index].id);
    options[index].scrollIntoView({ block: "nearest" });
  }

  function go(option) {
    if (option && option.dataset.url) window.location.assign(option.dataset.url);
  }

  function render(suggestions) {
    list.replaceChildren();
    options = suggestions.map((suggestion, i) => {
      const option = document.createElement("li");
      option.id = `${list.id}-option-${i}`;
      option.className = "search-suggest__option";
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.dataset.url = suggestion.url;
      const label = document.createElement("span");
      label.textContent = suggestion.label;
      const kind = document.createElement("span");
      kind.className = "search-suggest__kind";
      kind.textContent = ` ${suggestion.kind}`;
      option.append(label, kind);
      // mousedown, not click: the input must not lose focus (and close the list) first.
      option.addEventListener("mousedown", (event) => {
        event.preventDefault();
        go(option);
      });
      list.append(option);
      return option;
    });
    active = -1;
    input.removeAttribute("aria-activedescendant");
    if (options.length) {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      announce(
        `${options.length} suggestion${options.length === 1 ? "" : "s"}. ` +
          "Use the up and down arrow keys to choose one.",
      );
    } else {
      close();
      announce("No suggestions.");
    }
  }

  async function fetchSuggestions() {
    const query = input.value.trim();
    if (query === lastQuery) return;
    lastQuery = query;
    if (controller) controller.abort();
    if (query.length < MIN_CHARS) {
      render([]);
      announce("");
      return;
    }
    controller = new AbortController();
    try {
      const response = await fetch(`${url}?q=${encodeURIComponent(query)}`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: controller.signal,
      });
      if (!response.ok) return;
      const data = await response.json();
      if (input.value.trim() === query) render(data.suggestions || []);
    } catch (error) {
      if (error.name !== "AbortError") close();
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(fetchSuggestions, DEBOUNCE_MS);
  });

  input.addEventListener("keydown", (event) => {
    const open = !list.hidden && options.length > 0;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (!open && options.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      }
      if (options.length) setActive(active + 1 >= options.length ? 0 : active + 1);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      if (open) setActive(active <= 0 ? options.length - 1 : active - 1);
    } else if (event.key === "Enter") {
      if (open && active >= 0) {
        event.preventDefault();
        go(options[active]);
      }
    } else if (event.key === "Escape") {
      if (open) {
        event.preventDefault();
        close();
      }
    } else if (event.key === "Tab") {
      close();
    }
  });

  input.addEventListener("blur", () => close());
}

document.querySelectorAll("form[data-suggest]").forEach(setup);
