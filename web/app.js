/**
 * The page: the nickname form, the message list, the member list and the
 * input, wired to the room through RoomSocket. Everything that came from
 * the room reaches the page as `textContent` (never as HTML), and every
 * command is typed or sent as the same `/command` line `chat join` sends,
 * so the server parses it and `/help` tells the truth.
 *
 * The member list is derived: a `/user` asked for (and not shown) after
 * each welcome gives the list, then joins, leaves, kicks, renames and owner
 * changes keep it current, in the same order every member sees them.
 */
import { localLine, nickColor, renderEvent } from "./render.js";
import { RoomSocket } from "./room_socket.js";
import { nicknameKey } from "./protocol.js";

/** Messages kept on the page; older ones are removed. */
const MAX_LINES = 2000;
/** How close to the bottom (px) the list must be to follow new lines. */
const FOLLOW_SLACK_PX = 48;

const $ = (id) => document.getElementById(id);
const view = {
  status: $("status"),
  notify: $("notify"),
  joinView: $("join-view"),
  joinForm: $("join-form"),
  nick: $("nick"),
  nickError: $("nick-error"),
  passwordRow: $("password-row"),
  password: $("password"),
  roomView: $("room-view"),
  messages: $("messages"),
  members: $("members"),
  memberCount: $("member-count"),
  sayForm: $("say-form"),
  say: $("say"),
  scheduleForm: $("schedule-form"),
  scheduleTime: $("schedule-time"),
  scheduleText: $("schedule-text"),
};

/** The room as this page knows it: members in order of arrival, and the owner. */
const roster = { nicks: [], owner: null };
/** `/user` replies the page asked for itself, still to come; they are not shown. */
let quietUserLists = 0;

const wsUrl = new URL("/ws", location.href);
wsUrl.protocol = location.protocol === "https:" ? "wss:" : "ws:";
const room = new RoomSocket(wsUrl.href, {
  onEvent: receive,
  onText: (text, kind) => show(localLine(text, kind)),
  onState: setState,
});

// ---- events from the room ----

function receive(event) {
  switch (event.type) {
    case "welcome":
      enterRoom();
      quietUserLists++;
      room.say("/user");
      break;
    case "nick_refused":
      if (!room.registered) {
        // Also after a reconnect, when the nickname was taken meanwhile: ask again.
        view.roomView.hidden = true;
        view.joinView.hidden = false;
        view.nickError.textContent = event.reason;
        view.nick.setAttribute("aria-invalid", "true");
        view.nick.focus();
        return;
      }
      break;
    case "bye":
      // A private room: ask for its password, next to the nickname.
      if (!room.registered && /password/i.test(event.reason)) {
        view.passwordRow.hidden = false;
        view.nickError.textContent = event.reason;
        view.password.focus();
        return;
      }
      break;
    case "users":
      roster.nicks = [...event.nicks];
      roster.owner = event.owner;
      renderMembers();
      if (quietUserLists > 0) {
        quietUserLists--;
        return;
      }
      break;
    default:
      if (!event.history) updateRoster(event);
      // Our own rename changes the status line too.
      if (event.type === "rename") setState(document.body.dataset.state);
  }
  const line = renderEvent(event, room.nick);
  show(line);
  if (line.mention) notifyMention(event);
}

function updateRoster(event) {
  const same = (a) => (b) => nicknameKey(a) === nicknameKey(b);
  switch (event.type) {
    case "join":
      if (!roster.nicks.some(same(event.nick))) roster.nicks.push(event.nick);
      break;
    case "leave":
    case "kick":
      roster.nicks = roster.nicks.filter((nick) => !same(event.nick)(nick));
      break;
    case "rename":
      roster.nicks = roster.nicks.map((nick) => same(event.from)(nick) ? event.to : nick);
      if (roster.owner !== null && same(event.from)(roster.owner)) roster.owner = event.to;
      break;
    case "owner":
      roster.owner = event.nick;
      break;
    case "presence":
      // Joins and leaves were counted, not named: ask who is here now.
      quietUserLists++;
      room.say("/user");
      return;
    default:
      return;
  }
  renderMembers();
}

// ---- drawing ----

/** Appends one line to the message list, following it down if the reader was at the bottom. */
function show(line) {
  const list = view.messages;
  const following = list.scrollHeight - list.scrollTop - list.clientHeight < FOLLOW_SLACK_PX;
  const item = document.createElement("li");
  item.className = `line ${line.kind}${line.history ? " history" : ""}${
    line.mention ? " mention" : ""
  }`;
  item.append(span("time", `[${line.time}]`), " ");
  if (line.history) item.append(span("history-mark", "(history)"), " ");
  const body = span("body", "");
  for (const part of line.parts) {
    body.append(
      part.nick === undefined ? part.text : span(`nick nick-${nickColor(part.nick)}`, part.text),
    );
  }
  item.append(body);
  list.append(item);
  while (list.childElementCount > MAX_LINES) list.firstElementChild.remove();
  if (following) list.scrollTop = list.scrollHeight;
}

function renderMembers() {
  const self = room.nick;
  const iOwn = self !== undefined && roster.owner !== null &&
    nicknameKey(roster.owner) === nicknameKey(self);
  const items = roster.nicks.map((nick) => {
    const item = document.createElement("li");
    const isOwner = roster.owner !== null && nicknameKey(nick) === nicknameKey(roster.owner);
    const isSelf = self !== undefined && nicknameKey(nick) === nicknameKey(self);
    item.append(span(`nick nick-${nickColor(nick)}`, nick));
    if (isOwner) item.append(" ", span("badge owner", "owner"));
    if (isSelf) item.append(" ", span("badge self", "you"));
    if (iOwn && !isSelf) {
      const kick = document.createElement("button");
      kick.type = "button";
      kick.className = "kick";
      kick.textContent = "Kick";
      kick.setAttribute("aria-label", `Kick ${nick}`);
      kick.addEventListener("click", () => room.say(`/kick ${nick}`));
      item.append(" ", kick);
    }
    return item;
  });
  view.members.replaceChildren(...items);
  view.memberCount.textContent = `(${roster.nicks.length})`;
}

function span(className, text) {
  const element = document.createElement("span");
  element.className = className;
  element.textContent = text;
  return element;
}

function enterRoom() {
  view.nickError.textContent = "";
  view.nick.removeAttribute("aria-invalid");
  if (!view.roomView.hidden) return;
  view.joinView.hidden = true;
  view.roomView.hidden = false;
  view.say.focus();
  offerNotifications();
}

function setState(state) {
  const nick = room.nick;
  const words = {
    connecting: "Connecting…",
    connected: "Connected",
    registered: nick ? `Connected as ${nick}` : "Connected",
    reconnecting: "Reconnecting…",
    ended: "Not connected",
  };
  view.status.textContent = words[state];
  document.body.dataset.state = state;
}

// ---- mentions ----

function offerNotifications() {
  if (!("Notification" in globalThis) || Notification.permission !== "default") return;
  view.notify.hidden = false;
}

function notifyMention(event) {
  if (!document.hidden || !("Notification" in globalThis)) return;
  if (Notification.permission !== "granted") return;
  new Notification(`${event.from} mentioned you`, { body: event.text, tag: "chat-mention" });
}

view.notify.addEventListener("click", async () => {
  await Notification.requestPermission();
  view.notify.hidden = true;
});

// ---- input ----

view.joinForm.addEventListener("submit", (submitted) => {
  submitted.preventDefault();
  const nick = view.nick.value.trim();
  if (nick === "") {
    view.nickError.textContent = "A nickname cannot be empty.";
    view.nick.focus();
    return;
  }
  view.nickError.textContent = "";
  room.join(nick, view.password.value);
});

view.sayForm.addEventListener("submit", (submitted) => {
  submitted.preventDefault();
  const text = view.say.value;
  if (text.trim() === "") return;
  room.say(text);
  view.say.value = "";
});

view.scheduleForm.addEventListener("submit", (submitted) => {
  submitted.preventDefault();
  const time = view.scheduleTime.value;
  const text = view.scheduleText.value;
  if (time === "" || text.trim() === "") return;
  // HH:MM is read on the viewer's clock: the nick message carried their time zone.
  room.say(`/schedule ${time.slice(0, 5)} ${text}`);
  view.scheduleText.value = "";
  view.say.focus();
});

view.nick.focus();
