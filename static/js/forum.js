// Mention suggestions for post forms: type "@" and the start of a name to
// get a list of members (from a JSON endpoint that lists only members the
// writer may see and, for the category being written in, only members who
// can see that category). Pure progressive enhancement: without this script the
// form works the same, members just type the handle in full.

const ENDPOINT = "/discussions/members.json?q=";
const MENTION_AT_CARET = /(^|[\s(])@([A-Za-z0-9._-]{1,50})$/;

function setup(textarea) {
  const id = `${textarea.id}-mentions`;
  const list = document.createElement("ul");
  list.id = id;
  list.className = "usa-list usa-list--unstyled forum-mentions border-1px border-base-light bg-white padding-1";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Members you can mention");
  list.hidden = true;
  textarea.insertAdjacentElement("afterend", list);
  const status = document.getElementById("live-region");
  const scope = textarea.closest("[data-mention-category]");
  const category = scope ? scope.dataset.mentionCategory : "";
  textarea.setAttribute("aria-autocomplete", "list");
  textarea.setAttribute("aria-controls", id);
  let results = [];
  let active = -1;
  let timer = null;

  function close() {
    list.hidden = true;
    list.replaceChildren();
    results = [];
    active = -1;
    textarea.removeAttribute("aria-activedescendant");
  }

  function choose(index) {
    const result = results[index];
    if (!result) return;
    const before = textarea.value.slice(0, textarea.selectionStart);
    const after = textarea.value.slice(textarea.selectionStart);
    const replaced = before.replace(MENTION_AT_CARET, `$1@${result.handle} `);
    textarea.value = replaced + after;
    textarea.selectionStart = textarea.selectionEnd = replaced.length;
    close();
    textarea.focus();
  }

  function highlight(index, announce = false) {
    active = index;
    [...list.children].forEach((li, i) => li.setAttribute("aria-selected", String(i === index)));
    if (index >= 0) textarea.setAttribute("aria-activedescendant", `${id}-${index}`);
    // A textarea keeps its textbox role, so screen readers may not follow
    // aria-activedescendant: say the highlighted member in the live region too.
    if (announce && status && index >= 0) {
      status.textContent = `${list.children[index].textContent}, ${index + 1} of ${results.length}. Enter to insert.`;
    }
  }

  function render() {
    list.replaceChildren(
      ...results.map((result, i) => {
        const li = document.createElement("li");
        li.id = `${id}-${i}`;
        li.setAttribute("role", "option");
        li.className = "padding-05 cursor-pointer";
        li.textContent = `${result.name} (@${result.handle}) · ${result.task_force}`;
        li.addEventListener("mousedown", (event) => {
          event.preventDefault();
          choose(i);
        });
        return li;
      }),
    );
    list.hidden = results.length === 0;
    if (status) status.textContent = results.length ? `${results.length} members found. Use the arrow keys to choose.` : "";
    highlight(results.length ? 0 : -1);
  }

  textarea.addEventListener("input", () => {
    const match = textarea.value.slice(0, textarea.selectionStart).match(MENTION_AT_CARET);
    clearTimeout(timer);
    if (!match) return close();
    timer = setTimeout(async () => {
      try {
        const url = `${ENDPOINT}${encodeURIComponent(match[2])}&category=${encodeURIComponent(category)}`;
        const response = await fetch(url, { credentials: "same-origin" });
        if (!response.ok) return close();
        results = (await response.json()).results || [];
        render();
      } catch {
        close();
      }
    }, 150);
  });

  textarea.addEventListener("keydown", (event) => {
    if (list.hidden) return;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      highlight((active + 1) % results.length, true);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      highlight((active - 1 + results.length) % results.length, true);
    } else if (event.key === "Enter" || event.key === "Tab") {
      if (active >= 0) {
        event.preventDefault();
        choose(active);
      }
    } else if (event.key === "Escape") {
      close();
    }
  });
  textarea.addEventListener("blur", () => setTimeout(close, 100));
}

document.querySelectorAll("textarea[data-mentions]").forEach(setup);

// Put focus on the privacy warning or the error summary after a failed submission.
const summary = document.getElementById("privacy-findings") || document.getElementById("form-errors");
if (summary) summary.focus();
