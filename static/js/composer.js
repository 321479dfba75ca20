// The composer's formatting toolbar and preview, for forum posts and private
// messages alike. Pure enhancement: the form posts the same Markdown without
// this script. The preview is rendered by the server with the renderer that
// posting uses, at the endpoint the form names in data-composer
// (POST /discussions/preview/ or /messages/preview/), so what the member sees
// is what will be posted.

const ACTIONS = [
  { name: "bold", label: "Bold", text: "B", key: "b", wrap: ["**", "**"], placeholder: "bold text" },
  { name: "italic", label: "Italic", text: "I", key: "i", wrap: ["_", "_"], placeholder: "italic text" },
  { name: "link", label: "Link", text: "Link", key: "k", wrap: ["[", "](https://)"], placeholder: "link text" },
  { name: "list", label: "Bulleted list", text: "List", prefix: "- " },
  { name: "quote", label: "Quote", text: "Quote", prefix: "> " },
];

function changed(textarea) {
  // Drafts and mention suggestions listen for input events.
  textarea.dispatchEvent(new Event("input", { bubbles: true }));
  textarea.focus();
}

function wrap(textarea, [before, after], placeholder) {
  const { selectionStart: start, selectionEnd: end, value } = textarea;
  const selected = value.slice(start, end) || placeholder;
  textarea.setRangeText(before + selected + after, start, end, "end");
  // Leave the words selected, so typing replaces the placeholder.
  textarea.setSelectionRange(start + before.length, start + before.length + selected.length);
  changed(textarea);
}

function prefix(textarea, mark) {
  const { value } = textarea;
  const start = value.lastIndexOf("\n", textarea.selectionStart - 1) + 1;
  let end = value.indexOf("\n", textarea.selectionEnd);
  if (end === -1) end = value.length;
  const lines = value.slice(start, end).split("\n").map((line) => mark + line);
  const text = lines.join("\n");
  textarea.setRangeText(text, start, end, "end");
  changed(textarea);
}

function apply(textarea, action) {
  if (action.wrap) wrap(textarea, action.wrap, action.placeholder);
  else prefix(textarea, action.prefix);
}

function toolbar(textarea) {
  const bar = document.createElement("div");
  bar.className = "composer-toolbar";
  bar.setAttribute("role", "toolbar");
  bar.setAttribute("aria-label", "Formatting");
  bar.setAttribute("aria-controls", textarea.id);
  const buttons = ACTIONS.map((action, index) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "usa-button usa-button--outline";
    button.dataset.format = action.name;
    button.textContent = action.text;
    button.setAttribute("aria-label", action.key ? `${action.label} (Control+${action.key.toUpperCase()})` : action.label);
    if (action.name === "bold") button.classList.add("text-bold");
    if (action.name === "italic") button.classList.add("text-italic");
    // One tab stop for the toolbar; the arrow keys move within it.
    button.tabIndex = index === 0 ? 0 : -1;
    button.addEventListener("click", () => apply(textarea, action));
    bar.append(button);
    return button;
  });
  bar.addEventListener("keydown", (event) => {
    const current = buttons.indexOf(document.activeElement);
    if (current === -1) return;
    let next = null;
    if (event.key === "ArrowRight") next = (current + 1) % buttons.length;
    else if (event.key === "ArrowLeft") next = (current - 1 + buttons.length) % buttons.length;
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = buttons.length - 1;
    if (next === null) return;
    event.preventDefault();
    buttons[current].tabIndex = -1;
    buttons[next].tabIndex = 0;
    buttons[next].focus();
  });
  textarea.addEventListener("keydown", (event) => {
    if (!(event.ctrlKey || event.metaKey) || event.altKey) return;
    const action = ACTIONS.find((a) => a.key && a.key === event.key.toLowerCase());
    if (!action) return;
    event.preventDefault();
    apply(textarea, action);
  });
  return bar;
}

function preview(form, textarea, endpoint) {
  const area = document.createElement("div");
  area.className = "composer-preview-area";
  const button = document.createElement("button");
  button.type = "button";
  button.className = "usa-button usa-button--outline margin-top-1";
  button.textContent = "Preview";
  button.setAttribute("aria-controls", `${textarea.id}-preview`);
  // Not a heading: the composer sits under headings of different levels.
  const heading = document.createElement("p");
  heading.className = "text-bold margin-bottom-0";
  heading.id = `${textarea.id}-preview-heading`;
  heading.textContent = "Preview";
  heading.hidden = true;
  const box = document.createElement("div");
  box.id = `${textarea.id}-preview`;
  box.className = "composer-preview usa-prose";
  box.setAttribute("role", "region");
  box.setAttribute("aria-labelledby", heading.id);
  box.hidden = true;
  const status = document.createElement("p");
  status.className = "usa-sr-only";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  area.append(button, heading, box, status);
  let timer = null;
  let pending = null;

  async function refresh(announce) {
    const token = form.querySelector("input[name=csrfmiddlewaretoken]");
    const body = new FormData();
    body.append("body", textarea.value);
    if (pending) pending.abort();
    pending = new AbortController();
    let data;
    try {
      const response = await fetch(endpoint, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": token ? token.value : "", Accept: "application/json" },
        signal: pending.signal,
      });
      data = await response.json();
    } catch (error) {
      if (error.name === "AbortError") return;
      data = { error: "The preview could not be loaded. Your text is still here." };
    }
    heading.hidden = false;
    box.hidden = false;
    if (data.error) {
      box.replaceChildren();
      const message = document.createElement("p");
      message.className = "usa-error-message";
      message.textContent = data.error;
      box.append(message);
    } else if (!data.html) {
      box.innerHTML = "<p class=\"text-base\">Nothing to preview yet.</p>";
    } else {
      // Sanitised by the server exactly as a posted body is.
      box.innerHTML = data.html;
    }
    if (announce) {
      status.textContent = "";
      // A fresh text node each time, so the same words are announced again.
      window.setTimeout(() => {
        status.textContent = data.error ? `Preview not updated: ${data.error}` : "Preview updated";
      }, 50);
    }
  }

  button.addEventListener("click", () => refresh(true));
  textarea.addEventListener("input", () => {
    if (box.hidden) return;
    window.clearTimeout(timer);
    timer = window.setTimeout(() => refresh(false), 800);
  });
  return area;
}

for (const form of document.querySelectorAll("form[data-composer]")) {
  const textarea = form.querySelector("textarea[name=body]");
  if (!textarea) continue;
  textarea.insertAdjacentElement("beforebegin", toolbar(textarea));
  // After the textarea and whatever the mention script placed right after it.
  const group = textarea.closest(".usa-form-group") || textarea.parentElement;
  group.append(preview(form, textarea, form.dataset.composer));
}
