// Live discussions: an enhancement over pages that are complete without it.
//
// On every member page, /ws/me/ pushes the header's notification count and each
// new notification (announced politely; inserted on the notifications page), and
// new threads in watched categories (shown on that category's page). Nothing is
// polled: a reconnecting socket receives the count afresh.
// On a thread page (the list carries data-live-thread and data-live-sequence),
// /ws/threads/<id>/?since=<sequence> brings replies, edits, hides and counts as
// they happen, rendered by the server for this member. New replies are inserted
// when the reader is at the end of the last page, otherwise a "N new replies"
// bar offers them; each is announced through the page's polite live region.
// Sockets reconnect with exponential backoff and jitter and ask for what they
// missed; if WebSockets never open, nothing changes on the page. Close codes
// 44xx (and 1009) are final: the page says discreetly why live updates stopped,
// and after 4401 (the session ended) the reader's next link goes to sign in.

const MAX_DELAY = 30000;
const PING_EVERY = 30000;
const TYPING_EVERY = 3000;

function socketUrl(path) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

// Codes after which reconnecting cannot help: access ended, session ended, too big, flooding.
const FINAL_CODES = new Set([4401, 4403, 4404, 4429, 1009]);
const STOPPED_TEXT = {
  4401: "Your session has ended. Sign in again to see new activity.",
  4403: "Live updates have stopped for this page.",
};
let stoppedCode = null;

// After the session ended, the next link the reader follows takes them to sign in
// (and back here), instead of to a page that no longer lets them in. Forms are
// left alone: the server keeps what a signed-out member submitted (a reply they
// were writing) and offers it back once they have signed in again.
function signInOnNextAction() {
  const login = document.body.dataset.liveLogin;
  if (!login) return;
  document.addEventListener(
    "click",
    (event) => {
      const link = event.target.closest("a[href]");
      if (!link || link.closest("[data-live-notice], [data-live-status]")) return;
      event.preventDefault();
      const next = location.pathname + location.search;
      location.assign(`${login}?next=${encodeURIComponent(next)}`);
    },
    { capture: true },
  );
}

function stopped(code) {
  // One notice per page; only "sign in again" may replace an earlier one.
  if (stoppedCode === 4401 || (stoppedCode !== null && code !== 4401)) return;
  stoppedCode = code;
  const text = STOPPED_TEXT[code] || "Live updates have stopped. Reload the page to start them again.";
  const notice =
    document.querySelector("[data-live-status]") || document.querySelector("[data-live-notice]");
  if (notice) {
    notice.hidden = false;
    notice.textContent = text;
    if (code === 4401 && document.body.dataset.liveLogin) {
      notice.append(" ");
      const link = document.createElement("a");
      const next = location.pathname + location.search;
      link.href = `${document.body.dataset.liveLogin}?next=${encodeURIComponent(next)}`;
      link.textContent = "Sign in";
      notice.append(link);
    }
  }
  announce(text);
  if (code === 4401) signInOnNextAction();
}

function connect(pathFor, { onMessage, onOpen, onDown }) {
  let attempt = 0;
  let socket = null;
  let pinger = null;
  function open() {
    socket = new WebSocket(socketUrl(pathFor()));
    socket.addEventListener("open", () => {
      attempt = 0;
      pinger = setInterval(() => send({ type: "ping" }), PING_EVERY);
      if (onOpen) onOpen();
    });
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      onMessage(message);
    });
    socket.addEventListener("close", (event) => {
      clearInterval(pinger);
      if (FINAL_CODES.has(event.code)) {
        stopped(event.code);
        return;
      }
      if (onDown) onDown();
      // Exponential backoff with full jitter, so a restarted server is not stampeded.
      const delay = Math.random() * Math.min(MAX_DELAY, 1000 * 2 ** attempt);
      attempt += 1;
      setTimeout(open, delay);
    });
  }
  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }
  open();
  return { send };
}

function announce(text) {
  const region = document.getElementById("live-region");
  if (!region) return;
  region.textContent = "";
  // A fresh text node after a tick is read out even when the text repeats.
  setTimeout(() => {
    region.textContent = text;
  }, 50);
}

function fragment(html) {
  const template = document.createElement("template");
  template.innerHTML = html.trim();
  const element = template.content.firstElementChild;
  // Fragments are rendered without a CSRF token; use the page's own.
  const token = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (token) {
    for (const input of element.querySelectorAll("input[name=csrfmiddlewaretoken]")) {
      input.value = token.value;
    }
  }
  return element;
}

function setCount(link, unread) {
  let tag = link.querySelector(".usa-tag");
  if (unread) {
    if (!tag) {
      tag = document.createElement("span");
      tag.className = "usa-tag";
      link.append(" ", tag);
    }
    tag.textContent = String(unread);
    link.setAttribute("aria-label", `Notifications ${unread} unread`);
  } else {
    if (tag) tag.remove();
    link.setAttribute("aria-label", "Notifications, none unread");
  }
}

function showNotification(message) {
  // On the first page of the notifications list, the new one goes on top.
  const list = document.querySelector("[data-live-notifications]");
  const params = new URLSearchParams(location.search);
  if (!list || (params.get("page") && params.get("page") !== "1")) return;
  if (document.getElementById(`notification-${message.id}`)) return;
  list.prepend(fragment(message.html));
}

function showNewThread(message) {
  const box = document.querySelector(`[data-live-new-threads="${message.thread.category.id}"]`);
  if (!box) return;
  box.hidden = false;
  if (!box.childElementCount) box.append("New threads since you opened this page: ");
  else box.append(", ");
  const link = document.createElement("a");
  link.href = message.thread.url;
  link.textContent = message.thread.title;
  box.append(link);
  announce(`New thread in ${message.thread.category.name}: ${message.thread.title}`);
}

function memberSocket() {
  const body = document.body;
  if (!body.dataset.liveMe || !("WebSocket" in window)) return;
  // The header shows the count twice: in the phone bar and in the full menu.
  const links = [...document.querySelectorAll('a[data-header-count="notifications"]')];
  const setCounts = (unread) => links.forEach((link) => setCount(link, unread));
  connect(() => body.dataset.liveMe, {
    onMessage(message) {
      if (message.type === "notifications") {
        setCounts(message.unread);
      } else if (message.type === "notification") {
        setCounts(message.unread);
        showNotification(message);
        announce(`New notification: ${message.text}`);
      } else if (message.type === "thread.created") {
        showNewThread(message);
      }
    },
  });
}

function liveThread(list) {
  const threadId = list.dataset.liveThread;
  let sequence = Number(list.dataset.liveSequence || 0);
  const lastPage = list.dataset.liveLastPage === "true";
  const bar = document.querySelector("[data-live-new]");
  const status = document.querySelector("[data-live-status]");
  const presence = document.querySelector("[data-live-presence]");
  const typing = document.querySelector("[data-live-typing]");
  const pending = [];
  let typingTimer = null;

  function atEnd() {
    return lastPage && list.getBoundingClientRect().bottom <= window.innerHeight + 200;
  }

  function showPending() {
    if (!bar) return;
    bar.hidden = pending.length === 0;
    bar.textContent = pending.length === 1 ? "1 new reply" : `${pending.length} new replies`;
  }

  function insertPending() {
    const first = pending[0];
    for (const element of pending.splice(0)) list.append(element);
    showPending();
    if (first) first.scrollIntoView({ block: "start" });
  }
  if (bar) bar.addEventListener("click", insertPending);

  // Posts new to this page go at the end; while the reader is elsewhere they wait behind the bar.
  function place(id, html, created) {
    const existing = document.getElementById(`post-${id}`);
    const element = fragment(html);
    if (existing) {
      existing.replaceWith(element);
      return;
    }
    if (!lastPage) return;
    if (created && atEnd() && pending.length === 0) list.append(element);
    else {
      pending.push(element);
      showPending();
    }
  }

  function onMessage(message) {
    if (message.type === "ready" || message.type === "pong" || message.type === "error") return;
    if (message.type === "presence") {
      if (!presence) return;
      const others = message.names.length;
      presence.hidden = message.count < 2;
      presence.textContent =
        others === 0
          ? `${message.count} viewing`
          : `Also viewing: ${message.names.join(", ")}`;
      return;
    }
    if (message.type === "typing") {
      if (!typing) return;
      typing.hidden = false;
      typing.textContent = `${message.name} is replying…`;
      clearTimeout(typingTimer);
      typingTimer = setTimeout(() => {
        typing.hidden = true;
      }, 6000);
      return;
    }
    if (message.type === "reload") {
      if (status) {
        status.hidden = false;
        status.textContent = "This thread changed a lot while you were away. Reload the page to see it.";
      }
      return;
    }
    if (typeof message.sequence !== "number" || message.sequence <= sequence) return;
    sequence = message.sequence;
    list.dataset.liveSequence = String(sequence);
    const created = message.type === "post.created";
    for (const [id, html] of Object.entries(message.posts || {})) place(id, html, created);
    if (message.type === "post.removed") {
      const element = document.getElementById(`post-${message.post_id}`);
      if (element) element.remove();
    }
    if (created && message.posts) {
      const n = Object.keys(message.posts).length;
      announce(n === 1 ? "New reply posted." : `${n} new replies posted.`);
    } else if (message.type === "thread.locked") {
      announce("This thread was locked.");
    } else if (message.type === "thread.merged" && message.url && status) {
      status.hidden = false;
      status.innerHTML = "";
      const link = document.createElement("a");
      link.href = message.url;
      link.textContent = "This thread was merged: open the thread it is now part of.";
      status.append(link);
    }
  }

  const socket = connect(() => `/ws/threads/${threadId}/?since=${sequence}`, {
    onMessage,
    onOpen() {
      if (status && status.dataset.down) {
        status.hidden = true;
        delete status.dataset.down;
      }
    },
    onDown() {
      if (status) {
        status.hidden = false;
        status.dataset.down = "1";
        status.textContent = "Reconnecting…";
      }
    },
  });

  const textarea = document.querySelector("#reply-heading ~ form textarea");
  let lastTyping = 0;
  if (textarea) {
    textarea.addEventListener("input", () => {
      const now = Date.now();
      if (now - lastTyping < TYPING_EVERY) return;
      lastTyping = now;
      socket.send({ type: "typing" });
    });
  }
}

if ("WebSocket" in window) {
  memberSocket();
  const list = document.querySelector("[data-live-thread]");
  if (list) liveThread(list);
}
