// Private conversations, live: an enhancement over pages that are complete without it.
//
// On the inbox, /ws/conversations/ keeps the header's "Messages" count current
// and refreshes the list when one of the member's conversations changes.
// On a conversation page, /ws/conversations/<id>/?since=<sequence> brings new
// messages (rendered by the server for this member), "Seen by N" and
// "… is writing"; the page tells the server what the member has read while it
// is visible. Sockets reconnect with backoff and ask for what they missed.

const MAX_DELAY = 30000;
const PING_EVERY = 30000;
const TYPING_EVERY = 3000;
// Reconnecting cannot help after these: access ended, session ended, too big, flooding.
const FINAL_CODES = new Set([4401, 4403, 4404, 4429, 1009]);

function socketUrl(path) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

function connect(pathFor, onMessage) {
  let attempt = 0;
  let socket = null;
  let pinger = null;
  function open() {
    socket = new WebSocket(socketUrl(pathFor()));
    socket.addEventListener("open", () => {
      attempt = 0;
      pinger = setInterval(() => send({ type: "ping" }), PING_EVERY);
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
      if (FINAL_CODES.has(event.code)) return;
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
  setTimeout(() => {
    region.textContent = text;
  }, 50);
}

// The header's links to the inbox and their count badges (the context processor
// drew them on page load): one in the full menu and one beside the Menu button,
// which is the one in sight on a phone while the menu is collapsed.
function setUnread(count) {
  for (const link of document.querySelectorAll('a[data-header-count="messages"]')) {
    let badge = link.querySelector(".usa-tag");
    if (count > 0) {
      if (!badge) {
        badge = document.createElement("span");
        badge.className = "usa-tag";
        link.append(" ", badge);
      }
      badge.textContent = String(count);
      link.setAttribute("aria-label", `Messages ${count} unread`);
    } else {
      if (badge) badge.remove();
      link.setAttribute("aria-label", "Messages, none unread");
    }
  }
}

function inbox(root) {
  let first = true;
  connect(
    () => root.dataset.conversationsInbox,
    (message) => {
      if (message.type !== "unread") return;
      setUnread(message.count);
      if (first) {
        first = false;
        return;
      }
      // Something changed in one of the member's conversations: draw the list again.
      fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then((response) => (response.ok ? response.text() : null))
        .then((html) => {
          if (!html) return;
          const fresh = new DOMParser().parseFromString(html, "text/html").getElementById("conversation-list");
          const list = document.getElementById("conversation-list");
          if (fresh && list) list.replaceWith(fresh);
        })
        .catch(() => {});
    },
  );
}

function fragment(html) {
  const template = document.createElement("template");
  template.innerHTML = html.trim();
  return template.content.firstElementChild;
}

function conversation(root) {
  const list = document.getElementById("conversation-messages");
  const seen = document.getElementById("conversation-seen");
  const typing = document.getElementById("conversation-typing");
  const form = document.getElementById("conversation-form");
  let sequence = Number(root.dataset.sequence) || 0;
  let typingTimer = null;
  let lastTyping = 0;
  let readUpTo = sequence;

  // The member has read what the page shows once it is in front of them.
  function markRead() {
    if (document.visibilityState !== "visible" || sequence <= readUpTo) return;
    readUpTo = sequence;
    socket.send({ type: "read", sequence });
  }

  const socket = connect(
    () => `${root.dataset.conversationSocket}?since=${sequence}`,
    (message) => {
      if (message.type === "message") {
        if (!document.getElementById(`message-${message.sequence}`)) {
          const element = fragment(message.html);
          if (element) {
            list.append(element);
            const author = element.querySelector("strong");
            announce(`New message${author ? ` from ${author.textContent}` : ""}`);
          }
        }
        sequence = Math.max(sequence, message.sequence);
        typing.textContent = "";
      } else if (message.type === "sequence") {
        // The end of a batch: everything up to here has been delivered.
        sequence = Math.max(sequence, message.sequence);
        markRead();
      } else if (message.type === "reload") {
        location.reload();
      } else if (message.type === "seen") {
        if (message.sequence) {
          seen.textContent = message.count ? `Seen by ${message.count}` : "Not seen yet";
        }
      } else if (message.type === "typing") {
        typing.textContent = `${message.name} is writing…`;
        clearTimeout(typingTimer);
        typingTimer = setTimeout(() => {
          typing.textContent = "";
        }, TYPING_EVERY * 2);
      } else if (message.type === "unread") {
        setUnread(message.count);
      }
    },
  );
  document.addEventListener("visibilitychange", markRead);
  if (form) {
    form.body.addEventListener("input", () => {
      const now = Date.now();
      if (now - lastTyping > TYPING_EVERY) {
        lastTyping = now;
        socket.send({ type: "typing" });
      }
    });
  }
}

const inboxRoot = document.querySelector("[data-conversations-inbox]");
if (inboxRoot) inbox(inboxRoot);
const conversationRoot = document.querySelector("[data-conversation-socket]");
if (conversationRoot) conversation(conversationRoot);
