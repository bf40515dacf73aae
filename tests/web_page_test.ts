/**
 * The page, in a real browser (headless Chromium), against a real room:
 * what a person sees and does. Two pages and an `nc`-style TCP client share
 * a room; the page's stamps are in the viewer's zone, commands go to the
 * server as typed, markup from the room stays text, a cut socket resumes
 * without duplicates or gaps, and every event type reads as `eventText`
 * says. Skipped where Chromium is not installed.
 */
import type { ServerEvent } from "../protocol/events.ts";
import { eventText } from "../protocol/plain.ts";
import { formatClock, localTimeZone } from "../protocol/time.ts";
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import {
  ChatPage,
  type ChatPage as ChatPageType,
  CHROMIUM_MISSING,
  chromiumAvailable,
  launchBrowser,
} from "./support/browser.ts";
import { TcpProxy } from "./support/tcp_proxy.ts";
import { tempDir } from "./support/temp_dir.ts";
import { joinPlain } from "./support/test_server.ts";
import { startWebRoom } from "./support/web_room.ts";

const ignore = !chromiumAvailable();
if (ignore) console.log(`Skipping the browser tests: ${CHROMIUM_MISSING}`);

function unstamped(line: string): string {
  return line.replace(/^\[\d\d:\d\d\] /, "");
}

/** Nothing the room sent opened a dialog or threw in the page. */
function assertCalm(...pages: ChatPageType[]): void {
  for (const page of pages) {
    assertEquals(page.dialogs, [], "a dialog opened");
    assertEquals(page.errors, [], "the page logged an error");
  }
}

/** Replaces Notification and document.hidden, so a test can hide the tab and see what was shown. */
const NOTIFICATION_STUB = `
  globalThis.__notifications = [];
  globalThis.__hidden = false;
  Object.defineProperty(Document.prototype, "hidden", { get: () => globalThis.__hidden });
  globalThis.Notification = class {
    static permission = "granted";
    static requestPermission() { return Promise.resolve("granted"); }
    constructor(title, options) { globalThis.__notifications.push([title, options?.body]); }
  };
`;

Deno.test({
  name: "the page in headless Chromium, one browser for every step",
  ignore,
  async fn(t) {
    // One browser for the file: each launch costs about a second of CPU, and
    // every step opens its own pages (fresh contexts) anyway.
    await using browser = await launchBrowser();
    await t.step(
      "two pages and a TCP client share a room: talk, whisper, rename, markup as text, kick from the list",
      async () => {
        await using room = startWebRoom();
        await using ana = await ChatPage.open(browser, room.url);
        await using bob = await ChatPage.open(browser, room.url);
        await ana.join("ana");
        await ana.waitForLine("Welcome, ana! You are the room owner. Type /help for commands.");
        await ana.type("early words");
        await ana.waitForLine("ana: early words");

        // The nickname prompt refuses with the room's own words, and lets you try again.
        await bob.page.getByLabel("Nickname").fill("ANA");
        await bob.page.getByLabel("Nickname").press("Enter");
        await bob.page.locator("#nick-error", { hasText: "already taken" }).waitFor();
        assertEquals(
          await bob.page.locator("#nick-error").textContent(),
          'Nickname "ANA" is already taken.',
        );
        await bob.join("bob");
        // History on join, marked.
        assertEquals(unstamped(await bob.waitForLine("early words")), "(history) ana: early words");

        await using carol = await joinPlain(room.port, "carol");
        await ana.waitForMembers(["ana owner you", "bob Kick", "carol Kick"]);
        await bob.waitForMembers(["ana owner", "bob you", "carol"]);

        // Messages both ways, with Korean and emoji.
        await bob.type("hello from bob 👋");
        assertEquals(unstamped(await carol.waitFor("bob: hello")), "bob: hello from bob 👋");
        await ana.waitForLine("bob: hello from bob 👋");
        await carol.send("hi bob, 안녕하세요");
        await bob.waitForLine("carol: hi bob, 안녕하세요");
        // A mention of the viewer stands out; the same line does not for ana.
        assertEquals(await bob.page.locator("#messages li.mention").count(), 1);
        assertEquals(await ana.page.locator("#messages li.mention").count(), 0);

        // Markup from the room is text: shown literally, never parsed.
        const markup = "<img src=x onerror=alert(1)><b>bold</b><script>alert(2)</script>";
        await carol.send(markup);
        assertEquals(unstamped(await ana.waitForLine("onerror")), `carol: ${markup}`);
        assertEquals(
          await ana.page.locator("#messages img, #messages b, #messages script").count(),
          0,
        );

        // Whispers, both ways, marked, and only for the two.
        await carol.send("/whisper bob psst");
        assertEquals(unstamped(await bob.waitForLine("psst")), "[Whisper from carol] psst");
        assertEquals(await bob.page.locator("#messages li.whisper").count(), 1);
        await bob.type("/whisper ana secret");
        await ana.waitForLine("[Whisper from bob] secret");
        await bob.waitForLine("[Whisper to ana] secret");
        await carol.send("/user");
        await carol.waitFor("Users in chat:");
        assert(!carol.received.some((line) => line.includes("secret")));

        // Commands are parsed by the server: /help lists them.
        await bob.type("/help");
        await bob.waitForLine("/schedule");

        // A rename reaches every list and the renamed member's status line.
        await bob.type("/rename robert");
        await ana.waitForLine('User "bob" has changed their nickname to "robert".');
        await ana.waitForMembers(["ana owner you", "robert Kick", "carol Kick"]);
        await bob.waitForMembers(["ana owner", "robert you", "carol"]);
        assertEquals(await bob.page.getByRole("status").textContent(), "Connected as robert");

        // Only the owner's list has kick buttons; a kick from it, by keyboard.
        assertEquals(await bob.page.getByRole("button", { name: /^Kick/ }).count(), 0);
        const kick = ana.page.getByRole("button", { name: "Kick carol" });
        await kick.focus();
        await kick.press("Enter");
        await carol.waitFor("You have been kicked from the chat.");
        await ana.waitForLine("‣ carol was kicked from the chat by ana.");
        await ana.waitForMembers(["ana owner you", "robert Kick"]);
        await bob.waitForMembers(["ana owner", "robert you"]);
        await bob.type("/kick ana");
        await bob.waitForLine("Only the room owner can kick members.");

        // /quit leaves for good; ownership passes on, and the list shows it.
        await ana.type("/quit");
        await bob.waitForLine("‣ robert is now the room owner.");
        await bob.waitForMembers(["robert owner you"]);
        await ana.page.getByRole("status").filter({ hasText: "Not connected" }).waitFor();
        assertCalm(ana, bob);
      },
    );

    await t.step(
      "stamps and the schedule picker use the viewer's zone; a /schedule +2s reaches everyone",
      async () => {
        await using room = startWebRoom({ tickMs: 100 });
        // A zone other than this machine's, so a wrong zone shows.
        const zone = localTimeZone() === "Asia/Seoul" ? "America/New_York" : "Asia/Seoul";
        await using viewer = await ChatPage.open(browser, room.url, { timeZone: zone });
        await viewer.join("ana");
        const before = Date.now();
        await using carol = await joinPlain(room.port, "carol");
        const joined = await viewer.waitForLine("‣ carol joined the chat.");
        const stamp = /^\[(\d\d:\d\d)\]/.exec(joined)?.[1];
        assert([formatClock(before, zone), formatClock(Date.now(), zone)].includes(stamp!), joined);

        // The picker: HH:MM on the viewer's clock (two hours on, so it is never "now").
        const at = formatClock(Date.now() + 2 * 3600_000, zone);
        const summary = viewer.page.getByText("Schedule a message");
        await summary.focus();
        await summary.press("Enter");
        await viewer.page.getByLabel("At (your time)").fill(at);
        await viewer.page.getByLabel("Message", { exact: true }).fill("stand-up 회의");
        await viewer.page.getByLabel("Message", { exact: true }).press("Enter");
        assertEquals(
          unstamped(await viewer.waitForLine("stand-up 회의")),
          `Scheduled #1 for ${at}: stand-up 회의`,
        );

        // Typed, relative, and arriving for everyone.
        await viewer.type("/schedule +2s ding 🔔");
        await viewer.waitForLine("Scheduled #2 for");
        assertEquals(
          unstamped(await carol.waitFor("[Scheduled by ana]", 5000)),
          "[Scheduled by ana] ding 🔔",
        );
        await viewer.waitForLine("[Scheduled by ana] ding 🔔");
        assertCalm(viewer);
      },
    );

    await t.step(
      "a page whose socket is cut reconnects, resumes, and shows each missed line exactly once",
      async () => {
        await using room = startWebRoom();
        await using proxy = new TcpProxy(room.web.address.port);
        await using viewer = await ChatPage.open(browser, `http://127.0.0.1:${proxy.port}/`);
        await viewer.join("ana");
        await using carol = await joinPlain(room.port, "carol");
        for (let i = 1; i <= 3; i++) await carol.send(`before ${i}`);
        await viewer.waitForLine("carol: before 3");

        // The network goes away, and stays away while the room talks on.
        proxy.refuse = true;
        proxy.cutAll();
        await viewer.waitForLine("Disconnected from server");
        for (let i = 1; i <= 5; i++) await carol.send(`while away ${i}`);
        await carol.waitFor("carol: while away 5");

        proxy.refuse = false;
        await viewer.waitForLine("Welcome back, ana! Your session was resumed.", 15_000);
        await viewer.waitForLine("carol: while away 5");
        await carol.send("after");
        await viewer.waitForLine("carol: after");

        // What was missed came back from the room's log (marked as replayed, as in chat join).
        const said = (await viewer.lines()).map(unstamped).filter((line) =>
          line.includes("carol: ")
        );
        assertEquals(said, [
          "carol: before 1",
          "carol: before 2",
          "carol: before 3",
          ...[1, 2, 3, 4, 5].map((i) => `(history) carol: while away ${i}`),
          "carol: after",
        ]);
        // Nobody saw ana leave: the room held her nickname.
        assert(
          !carol.received.some((line) => line.includes("ana left")),
          carol.received.join("\n"),
        );
        await viewer.waitForMembers(["ana owner you", "carol Kick"]);
        assertCalm(viewer);
      },
    );

    await t.step(
      "a page away longer than the room holds its nickname, and the name taken, asks for another",
      async () => {
        await using room = startWebRoom({ resumeGraceMs: 300, tickMs: 50 });
        await using proxy = new TcpProxy(room.web.address.port);
        await using viewer = await ChatPage.open(browser, `http://127.0.0.1:${proxy.port}/`);
        await viewer.join("ana");
        await using carol = await joinPlain(room.port, "carol");
        proxy.refuse = true;
        proxy.cutAll();
        await carol.waitFor("‣ ana left the chat (connection lost).");
        await using _impostor = await joinPlain(room.port, "ana");
        proxy.refuse = false;
        // The resume fails and the name is taken: the nickname form comes back, with the reason.
        await viewer.page.locator("#nick-error", { hasText: "already taken" }).waitFor({
          timeout: 15_000,
        });
        assert(await viewer.page.locator("#room-view").isHidden());
        await viewer.join("ana2");
        await viewer.waitForLine("Rejoined as ana2; messages sent while away may be missing.");
        await carol.waitFor("‣ ana2 joined the chat.");
        assertCalm(viewer);
      },
    );

    await t.step(
      "every event type reads on the page as eventText() words it, stamped in the viewer's zone",
      async () => {
        await using room = startWebRoom();
        // The page's zone is this process's, so formatClock() here gives the page's stamps.
        await using viewer = await ChatPage.open(browser, room.url, { timeZone: localTimeZone() });
        const at = Date.UTC(2026, 0, 15, 0, 7);
        const due = Date.UTC(2026, 0, 15, 0, 30);
        let seq = 100;
        const next = () => ++seq;
        const events: ServerEvent[] = [
          { type: "message", seq: 90, at, from: "bob", text: "earlier", history: true },
          { type: "message", seq: next(), at, from: "bob", text: "<i>hello</i>" },
          // The same event again (a resume that overlaps): shown once.
          { type: "message", seq, at, from: "bob", text: "<i>hello</i>" },
          { type: "scheduled", seq: next(), at, from: "ana", text: "stand-up", late: true },
          { type: "join", seq: next(), at, nick: "bob" },
          { type: "leave", seq: next(), at, nick: "bob", reason: "quit" },
          { type: "kick", seq: next(), at, nick: "bob", by: "ana" },
          { type: "rename", seq: next(), at, from: "bob", to: "rob" },
          { type: "owner", seq: next(), at, nick: "rob" },
          { type: "action", seq: next(), at, from: "rob", text: "waves" },
          { type: "topic", seq: next(), at, text: "Exam on Friday", by: "ana" },
          { type: "current_topic", at, text: "Exam on Friday", by: "ana", since: at },
          { type: "gap", at, count: 1200 },
          { type: "nick_refused", at, nick: "x", reason: 'Nickname "x" is already taken.' },
          { type: "whisper", at, from: "rob", to: "ana", text: "psst", direction: "in" },
          { type: "whisper", at, from: "ana", to: "rob", text: "psst", direction: "out" },
          { type: "users", at, nicks: ["ana", "rob"], owner: "ana" },
          { type: "notice", at, text: "A notice." },
          { type: "error", at, text: "An error." },
          { type: "schedule_ok", at, id: 3, due, text: "later" },
          { type: "schedules", at, items: [{ id: 3, due, from: "ana", text: "later" }] },
          { type: "schedules", at, items: [] },
          { type: "unscheduled", at, id: 3, due, text: "later", by: "rob" },
          { type: "schedule_dropped", at, id: 4, due, text: "missed" },
          // After the users line: the page asks for the list again (quietly) on a summary.
          { type: "presence", seq: next(), at, joined: 37, left: 37, seconds: 10 },
          { type: "kicked", at, text: "You have been kicked from the chat." },
          { type: "bye", at, reason: "The server is shutting down." },
        ];
        const welcome = { type: "welcome", at, nick: "ana", owner: true, seq: 100, resume: "t" };
        // The page's socket goes to this stand-in instead of the room.
        let sentAll = false;
        await viewer.page.routeWebSocket(/\/ws$/, (socket) => {
          socket.onMessage((data) => {
            const message = JSON.parse(String(data));
            if (message.type === "nick") {
              socket.send("Welcome to chat! Enter your nickname:");
              socket.send(JSON.stringify(welcome));
            } else if (message.text === "/user") {
              // The page's own quiet /user (again after a churn summary); then everything else.
              socket.send(JSON.stringify({ type: "users", at, nicks: ["ana"], owner: "ana" }));
              if (!sentAll) { for (const event of events) socket.send(JSON.stringify(event)); }
              sentAll = true;
            }
          });
        });
        await viewer.join("ana");
        await viewer.waitForLine("Disconnected: The server is shutting down.");
        const shown = events.filter((_, index) => index !== 2);
        const expected = [welcome as ServerEvent, ...shown].map((event) =>
          `[${formatClock(event.at)}] ${"history" in event ? "(history) " : ""}${eventText(event)}`
        );
        assertEquals(await viewer.lines(), expected);
        assertEquals(await viewer.page.locator("#messages i").count(), 0);
        assertCalm(viewer);
      },
    );

    await t.step(
      "on a phone, by keyboard only: labelled controls, a live log, no sideways scroll; a hidden tab is notified of a mention",
      async () => {
        await using room = startWebRoom();
        await using phone = await ChatPage.open(browser, "about:blank", {
          width: 390,
          height: 800,
        });
        await phone.page.addInitScript(NOTIFICATION_STUB);
        await phone.page.goto(room.url);
        const page = phone.page;
        // Keyboard only: the nickname field has focus, Enter joins, focus moves to the input.
        await page.keyboard.type("지수");
        await page.keyboard.press("Enter");
        await page.locator("#room-view").waitFor({ state: "visible" });
        assertEquals(await page.evaluate("document.activeElement?.id"), "say");
        await page.keyboard.type("키보드만으로 ⌨️");
        await page.keyboard.press("Enter");
        await phone.waitForLine("지수: 키보드만으로 ⌨️");
        await page.keyboard.press("Tab");
        assertEquals(await page.evaluate("document.activeElement?.textContent"), "Send");

        // What a screen reader finds.
        const log = page.getByRole("log", { name: "Messages" });
        assertEquals(await log.getAttribute("aria-live"), "polite");
        for (const label of ["Message or command", "At (your time)", "Message"]) {
          assertEquals(await page.getByLabel(label, { exact: true }).count(), 1, label);
        }
        assertMatch((await page.getByRole("status").textContent()) ?? "", /Connected as 지수/);
        assertEquals(await page.getByRole("heading", { name: /Members/ }).count(), 1);

        // It fits a phone's width.
        await using carol = await joinPlain(room.port, "carol");
        await carol.send(`a long line without spaces ${"가나다라마바사".repeat(20)}`);
        await phone.waitForLine("가나다라마바사");
        assert(
          await page.evaluate("document.documentElement.scrollWidth <= innerWidth"),
          "the page scrolls sideways",
        );
        const input = await page.getByLabel("Message or command").boundingBox();
        assert(input !== null && input.y + input.height <= 800, "the input is off screen");

        // A mention notifies only while the tab is hidden.
        await carol.send("지수, look 👀");
        await phone.waitForLine("look 👀");
        await page.evaluate("globalThis.__hidden = true");
        await carol.send("지수 are you there?");
        await phone.waitForLine("are you there?");
        await carol.send("not about anyone");
        await phone.waitForLine("not about anyone");
        assertEquals(
          await page.evaluate(() =>
            (globalThis as unknown as { __notifications: unknown })
              .__notifications
          ),
          [["carol mentioned you", "지수 are you there?"]],
        );
        assertCalm(phone);
      },
    );

    await t.step(
      "a screenshot of the page with Korean text, emoji and the member list",
      async () => {
        // CHAT_WEB_SCREENSHOT=docs/web.png keeps it (README and docs/web.md show it).
        const keep = Deno.env.get("CHAT_WEB_SCREENSHOT");
        await using dir = await tempDir("chat_web_shot_");
        await using room = startWebRoom();
        await using page = await ChatPage.open(browser, room.url, { timeZone: "Asia/Seoul" });
        await page.join("지수");
        await using minho = await joinPlain(room.port, "민호");
        await using ana = await joinPlain(room.port, "ana");
        await minho.send("안녕하세요! 오늘 회의는 3시예요 🙂");
        await page.type("좋아요, 자료 준비할게요 📄");
        await ana.send("Sounds good, see you at 3 👍");
        await minho.send("/whisper 지수 발표 순서 확인 부탁해요 🙏");
        await page.type("/schedule +1h 회의 시작합니다 ⏰");
        await minho.send("@지수 고마워요 🎉");
        await page.waitForLine("고마워요 🎉");
        await page.waitForLine("Scheduled #1");
        await page.waitForMembers(["지수 owner you", "민호 Kick", "ana Kick"]);
        const path = `${dir.path}/web.png`;
        await page.page.screenshot({ path });
        const png = await Deno.readFile(path);
        // A PNG of the viewport: signature, then the IHDR width and height.
        assertEquals([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
        const header = new DataView(png.buffer, png.byteOffset);
        assertEquals([header.getUint32(16), header.getUint32(20)], [1000, 640]);
        if (keep) await Deno.copyFile(path, keep);
        assertCalm(page);
      },
    );

    await t.step(
      "in a private room the page asks for the password next to the nickname, then joins",
      async () => {
        await using room = startWebRoom({ password: "open sesame" });
        await using viewer = await ChatPage.open(browser, room.url);
        const password = viewer.page.getByLabel("Room password");
        assertEquals(await password.isVisible(), false, "hidden until the room asks");
        await viewer.page.getByLabel("Nickname").fill("ana");
        await viewer.page.getByLabel("Nickname").press("Enter");
        await password.waitFor({ state: "visible" });
        assertEquals(
          await viewer.page.locator("#nick-error").textContent(),
          "This room asks for a password, and none was given.",
        );
        assertEquals(await password.getAttribute("type"), "password");
        await password.fill("open sesame");
        await password.press("Enter");
        await viewer.page.locator("#room-view").waitFor({ state: "visible" });
        await viewer.waitForLine("Welcome, ana!");
        assertEquals(viewer.errors, []);
      },
    );
  },
});
