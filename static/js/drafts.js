// Keeps what a member is writing in this browser tab until it is sent, so a
// reply, a new thread or a shared resource survives being signed out after
// 30 minutes idle, a stale CSRF token or a server error.
//
// Text lives in sessionStorage, which belongs to this tab and is gone when
// the tab closes: members write about victims, and a shared computer must not
// keep their words. Drafts older than a day are dropped.
//
// After a form is sent, the next page decides what happens to its draft:
// * a page marked [data-draft-keep] (the CSRF failure page, the error page
//   when the text may not be saved) or a sign-in page (/accounts/...) means
//   the text did not arrive: the draft is kept and marked interrupted;
// * any other page means it arrived (or the form came back with it filled
//   in): the draft is dropped.
// An interrupted draft is put back into the same form, when it is empty, the
// next time the form is shown, with a notice (templates/includes/draft_notice.html).
// Without JavaScript nothing changes: the error pages show the text too.

const PREFIX = "connect-draft:";
const MAX_AGE_MS = 24 * 60 * 60 * 1000;
const FIELDS = ["title", "body", "summary", "details", "reason", "tags", "external_url"];

function storage() {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

function keyFor(form) {
  return PREFIX + new URL(form.getAttribute("action") || "", window.location.href).pathname;
}

function fieldsOf(form) {
  return FIELDS.map((name) => form.elements.namedItem(name)).filter(
    (el) => el && (el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && ["text", "url", "search"].includes(el.type))),
  );
}

function read(store, key) {
  try {
    const draft = JSON.parse(store.getItem(key) || "null");
    if (draft && Date.now() - draft.at < MAX_AGE_MS) return draft;
  } catch {
    // A broken entry is dropped below.
  }
  store.removeItem(key);
  return null;
}

function save(store, form, extra = {}) {
  const values = {};
  for (const el of fieldsOf(form)) if (el.value.trim()) values[el.name] = el.value;
  const key = keyFor(form);
  if (!Object.keys(values).length) {
    store.removeItem(key);
    return;
  }
  const previous = read(store, key) || {};
  try {
    store.setItem(key, JSON.stringify({ ...previous, ...extra, values, at: Date.now() }));
  } catch {
    // Storage full or refused: the error pages still show the text.
  }
}

function allKeys(store) {
  const keys = [];
  for (let i = 0; i < store.length; i += 1) {
    const key = store.key(i);
    if (key && key.startsWith(PREFIX)) keys.push(key);
  }
  return keys;
}

function settle(store) {
  const keep = document.querySelector("[data-draft-keep]") || window.location.pathname.startsWith("/accounts/");
  for (const key of allKeys(store)) {
    const draft = read(store, key);
    if (!draft || !draft.sent) continue;
    if (keep) store.setItem(key, JSON.stringify({ ...draft, sent: false, interrupted: true }));
    else store.removeItem(key);
  }
}

function showNotice(form, store, key) {
  const template = document.getElementById("draft-restored-notice");
  if (!template) return;
  const notice = template.content.firstElementChild.cloneNode(true);
  notice.querySelector("[data-draft-discard]").addEventListener("click", () => {
    store.removeItem(key);
    for (const el of fieldsOf(form)) el.value = "";
    notice.remove();
  });
  form.insertAdjacentElement("beforebegin", notice);
  const status = document.getElementById("live-region");
  if (status) status.textContent = notice.querySelector("[data-draft-message]").textContent;
}

function restore(form, store) {
  const key = keyFor(form);
  const draft = read(store, key);
  if (!draft || !draft.interrupted) return;
  const fields = fieldsOf(form);
  // A form that already holds text (sent back with an error, or a quote)
  // is the member's latest; never overwrite it.
  if (fields.some((el) => el.value.trim())) return;
  let restored = false;
  for (const el of fields) {
    if (draft.values[el.name]) {
      el.value = draft.values[el.name];
      restored = true;
    }
  }
  if (restored) showNotice(form, store, key);
}

function watch(form, store) {
  let timer = null;
  form.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => save(store, form), 300);
  });
  form.addEventListener("submit", () => {
    clearTimeout(timer);
    save(store, form, { sent: true });
  });
}

function init() {
  const store = storage();
  if (!store) return;
  settle(store);
  for (const form of document.querySelectorAll("form[method='post' i]")) {
    if (!fieldsOf(form).some((el) => el.tagName === "TEXTAREA")) continue;
    restore(form, store);
    watch(form, store);
  }
}

init();
