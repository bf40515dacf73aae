/**
 * The browser door without a browser: Deno's own WebSocket client (and a
 * raw one over TCP where a WebSocket object cannot do what a test needs)
 * against a real room and its web server on loopback ports. A WebSocket is
 * one more client of the structured framing, under the same limits as TCP.
 */
import { parseAddressRanges } from "../server/address_range.ts";
import { FLOOD_BACKLOG } from "../protocol/limits.ts";
import { sameOrigin, SECURITY_HEADERS } from "../server/web_server.ts";
import { FrameTexts, WebSocketTransport } from "../server/websocket_transport.ts";
import { assert, assertEquals, assertStringIncludes } from "./support/assert.ts";
import { joinJson, joinPlain, LineClient } from "./support/test_server.ts";
import { joinWeb, rawUpgrade, WsClient } from "./support/web_client.ts";
import { startWebRoom } from "./support/web_room.ts";

function unstamped(line: string): string {
  return line.replace(/^\[\d\d:\d\d\] /, "");
}

Deno.test("a WebSocket is a structured client of the same room as TCP: both ways, whispers, history", async () => {
  await using room = startWebRoom();
  await using ana = await joinPlain(room.port, "ana");
  await ana.send("before the browser came");
  await ana.waitFor("ana: before the browser came");

  await using web = await WsClient.open(room.wsUrl);
  // The plain greeting comes first, as for every client, then the JSON framing.
  assertEquals((await web.waitFor(() => true)).text, "Welcome to chat! Enter your nickname:");
  web.send({ type: "nick", nick: "지수", timeZone: "Asia/Seoul" });
  const welcome = await web.waitForEvent("welcome");
  assertEquals([welcome.nick, welcome.owner, typeof welcome.resume], ["지수", false, "string"]);
  const history = await web.waitForEvent("message");
  assertEquals([history.from, history.text, "history" in history], [
    "ana",
    "before the browser came",
    true,
  ]);
  // What the room sends in one go (the welcome and the history) is one frame, as one TCP write.
  const frameOf = (type: string) => web.frames.find((line) => line.event?.type === type)?.frame;
  assertEquals(frameOf("welcome"), frameOf("message"));
  await ana.waitFor("‣ 지수 joined the chat.");

  web.say("안녕하세요 🎉");
  assertEquals(unstamped(await ana.waitFor("지수:")), "지수: 안녕하세요 🎉");
  await ana.send("hello browser");
  const message = await web.waitForEvent("message", (event) => event.text === "hello browser");
  assertEquals(message.from, "ana");

  await ana.send("/whisper 지수 psst");
  const whisper = await web.waitForEvent("whisper");
  assertEquals([whisper.from, whisper.text, whisper.direction], ["ana", "psst", "in"]);
  // Commands are parsed by the server, the same for every framing.
  web.say("/user");
  const users = await web.waitForEvent("users");
  assertEquals([users.nicks, users.owner], [["ana", "지수"], "ana"]);
  // HH:MM in a /schedule from the browser is read on the browser's clock.
  web.say("/schedule 09:30 stand-up");
  const ok = await web.waitForEvent("schedule_ok");
  const seoul = new Intl.DateTimeFormat("en-GB", {
    timeZone: "Asia/Seoul",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  });
  assertEquals(seoul.format(ok.due), "09:30");
});

Deno.test("/healthz answers 200 with the member count; the page's files carry a strict CSP", async () => {
  await using room = startWebRoom();
  const base = room.url;
  const empty = await fetch(`${base}healthz`);
  assertEquals([empty.status, await empty.json()], [200, { status: "ok", members: 0 }]);
  await using _ana = await joinPlain(room.port, "ana");
  await using _web = await joinWeb(room.wsUrl, "bob");
  // An unregistered connection is not a member.
  await using _lurker = await LineClient.connect(room.port);
  const two = await fetch(`${base}healthz`);
  assertEquals([two.status, await two.json()], [200, { status: "ok", members: 2 }]);

  const types: Record<string, string> = {
    "": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "render.js": "text/javascript; charset=utf-8",
    "room_socket.js": "text/javascript; charset=utf-8",
    "protocol.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
    "favicon.svg": "image/svg+xml",
  };
  for (const [path, type] of Object.entries(types)) {
    const response = await fetch(`${base}${path}`);
    const body = await response.text();
    assertEquals(response.status, 200, path);
    assertEquals(response.headers.get("content-type"), type, path);
    assert(body.length > 0, path);
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
      assertEquals(response.headers.get(name), value, `${name} on /${path}`);
    }
  }
  const csp = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
  assertEquals(SECURITY_HEADERS["content-security-policy"], csp);
  assertEquals(SECURITY_HEADERS["x-content-type-options"], "nosniff");
  assertEquals(SECURITY_HEADERS["referrer-policy"], "no-referrer");
  // The page loads nothing from elsewhere and runs no inline script.
  const page = await (await fetch(base)).text();
  assert(!/<script(?![^>]*\bsrc="\/)/.test(page), "an inline or remote script");
  assert(!/(src|href)="(https?:)?\/\//.test(page), "a remote file");

  const missing = await fetch(`${base}../server/serve.ts`);
  assertEquals(missing.status, 404);
  assertEquals(missing.headers.get("content-security-policy"), csp);
  await missing.body?.cancel();
  const post = await fetch(base, { method: "POST", body: "x" });
  assertEquals([post.status, post.headers.get("allow")], [405, "GET, HEAD"]);
  await post.body?.cancel();
  const notUpgraded = await fetch(`${base}ws`);
  assertEquals(notUpgraded.status, 426);
  await notUpgraded.body?.cancel();
});

Deno.test("a WebSocket from another site's page is refused with 403; the page's own origin is admitted", async () => {
  await using room = startWebRoom();
  const port = room.web.address.port;
  const foreign = await rawUpgrade(port, { Origin: "https://evil.example" });
  try {
    assertEquals(foreign.status, 403, foreign.head);
    assertStringIncludes(foreign.head.toLowerCase(), "content-security-policy");
  } finally {
    foreign.conn.close();
  }
  // A look-alike host on another port is another origin.
  const otherPort = await rawUpgrade(port, { Origin: `http://127.0.0.1:${port + 1}` });
  otherPort.conn.close();
  assertEquals(otherPort.status, 403);
  const sandboxed = await rawUpgrade(port, { Origin: "null" });
  sandboxed.conn.close();
  assertEquals(sandboxed.status, 403);
  const broken = await rawUpgrade(port, { Connection: "keep-alive" });
  broken.conn.close();
  assertEquals(broken.status, 400, broken.head);
  const own = await rawUpgrade(port);
  own.conn.close();
  assertEquals(own.status, 101, own.head);
  // Behind a TLS proxy the page is https: but the host is the same.
  const proxied = await rawUpgrade(port, { Origin: `https://127.0.0.1:${port}` });
  proxied.conn.close();
  assertEquals(proxied.status, 101, proxied.head);
  assertEquals(room.chat.room.size, 0);
});

Deno.test("sameOrigin() compares the Origin's host with the Host the request was sent to", () => {
  const request = (headers: Record<string, string>) =>
    new Request("http://x/ws", { headers: new Headers(headers) });
  assert(sameOrigin(request({ host: "chat.example.org", origin: "https://chat.example.org" })));
  assert(sameOrigin(request({ host: "Chat.Example.org:80", origin: "http://chat.example.org" })));
  assert(sameOrigin(request({ host: "chat.example.org" })), "no Origin: not a browser");
  assert(!sameOrigin(request({ host: "chat.example.org", origin: "https://evil.example" })));
  assert(
    !sameOrigin(request({ host: "chat.example.org:8080", origin: "http://chat.example.org" })),
  );
  assert(!sameOrigin(request({ host: "chat.example.org", origin: "null" })));
  assert(!sameOrigin(request({ origin: "http://chat.example.org" })), "no Host");
});

Deno.test("a frame over --max-line-bytes gets the TCP error text, a frame with a newline and bad JSON get the malformed error", async () => {
  await using room = startWebRoom({ limits: { maxLineBytes: 100 } });
  await using ana = await joinPlain(room.port, "ana");
  await using web = await joinWeb(room.wsUrl, "bob");
  await ana.waitFor("‣ bob joined the chat.");
  const long = JSON.stringify({ type: "say", text: "x".repeat(200) });
  web.socket.send(long);
  const tooLong = await web.waitForEvent("error");
  // The limit counts the member's text, not the JSON around it.
  assertEquals(tooLong.text, `Line too long (200 bytes; the limit is 100). It was not sent.`);
  // The same text a TCP client gets for a line of that length.
  await ana.send("y".repeat(200));
  assertEquals(unstamped(await ana.waitFor("Line too long")), tooLong.text);

  web.socket.send('{"type":"say","text":"one"}\n{"type":"say","text":"two"}');
  assertEquals(
    (await web.waitForEvent("error")).text,
    "Malformed message: expected one JSON object per line.",
  );
  web.socket.send("not json");
  assertEquals(
    (await web.waitForEvent("error")).text,
    "Malformed message: expected one JSON object per line.",
  );
  web.send({ type: "shout", text: "x" });
  assertEquals(
    (await web.waitForEvent("error")).text,
    "Malformed message: unknown type or missing field.",
  );
  // None of it reached the room, and the socket is still in it.
  web.say("still here");
  assertEquals(unstamped(await ana.waitFor("bob:")), "bob: still here");
});

Deno.test("a frame far over the line limit closes the socket with 1009 (Message too big)", async () => {
  await using room = startWebRoom({ limits: { maxLineBytes: 100 } });
  await using ana = await joinPlain(room.port, "ana");
  await using web = await joinWeb(room.wsUrl, "bob");
  web.socket.send("z".repeat(2 << 20));
  assertEquals(await web.closed(), { code: 1009, reason: "Message too big." });
  // Its session ended (the nickname is held for a resume, as after any drop).
  const deadline = Date.now() + 3000;
  while (room.chat.connectionCount > 1) {
    assert(Date.now() < deadline, "the session outlived its socket");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await ana.send("alone");
  await ana.waitFor("ana: alone");
});

Deno.test("flood control applies to a WebSocket: a warning past the backlog, then a disconnect", async () => {
  await using room = startWebRoom({ limits: { rate: 1, burst: 1 } });
  await using ana = await joinPlain(room.port, "ana");
  await using web = await joinWeb(room.wsUrl, "flooder");
  for (let i = 0; i < FLOOD_BACKLOG + 5; i++) web.say(`spam ${i}`);
  assertEquals(
    (await web.waitForEvent("error", (event) => event.text.includes("too fast"))).text,
    `You are sending too fast; slow down. ${FLOOD_BACKLOG} lines are waiting to be sent (at most 1 a second); further lines are being dropped.`,
  );
  // Bounded: past twice the backlog in drops the flooder is gone.
  for (let i = 0; i < 4 * FLOOD_BACKLOG; i++) web.say(`more ${i}`);
  assertEquals(
    (await web.waitForEvent("bye")).reason,
    "Flooding: too many lines sent too fast.",
  );
  await web.closed();
  await ana.waitFor("‣ flooder left the chat (Flooding: too many lines sent too fast.).");
});

Deno.test("--max-per-ip and --max-connections count browser connections with TCP ones", async () => {
  await using room = startWebRoom({
    limits: { maxPerIp: 3, maxConnections: 4 },
    exempt: parseAddressRanges("none", "--exempt"),
  });
  await using _tcp = await joinPlain(room.port, "tcp");
  await using _web1 = await joinWeb(room.wsUrl, "web1");
  await using _web2 = await WsClient.open(room.wsUrl);
  // A fourth connection from this address, over either door, is refused with the same line.
  await using refusedWeb = await WsClient.open(room.wsUrl);
  assertEquals(
    (await refusedWeb.waitFor(() => true)).text,
    "Too many connections from your address (at most 3).",
  );
  await refusedWeb.closed();
  await using refusedTcp = await LineClient.connect(room.port);
  assertEquals(await refusedTcp.readLine(), "Too many connections from your address (at most 3).");
  await refusedTcp.waitForClose();
  assertEquals(room.chat.connectionCount, 3);
});

Deno.test("--max-connections counts browser connections", async () => {
  await using room = startWebRoom({ limits: { maxConnections: 2 } });
  await using _web = await joinWeb(room.wsUrl, "web");
  await using _tcp = await LineClient.connect(room.port);
  await using refused = await WsClient.open(room.wsUrl);
  assertEquals((await refused.waitFor(() => true)).text, "The server is full; try again later.");
  await refused.closed();
});

Deno.test("a browser that stops reading is disconnected as too slow while the others keep talking", async () => {
  const outboxBytes = 256 * 1024;
  await using room = startWebRoom({ limits: { outboxBytes, rate: 0 }, stallMs: 200 });
  await using talker = await joinPlain(room.port, "talker");
  const slow = await rawUpgrade(room.web.address.port);
  try {
    assertEquals(slow.status, 101);
    await slow.sendText(JSON.stringify({ type: "nick", nick: "slow" }));
    await talker.waitFor("‣ slow joined the chat.");
    // It never reads again. Bounded: 10000 lines of 2 KB is 20 MB towards it, well past what
    // the kernel's socket buffers take before the server's queue starts to fill.
    const padding = "p".repeat(2000);
    // Look at every line the talker got (waitFor below reads past lines it does not want).
    let scanned = 0;
    const leave = () => {
      const lines = talker.received;
      for (; scanned < lines.length; scanned++) {
        if (lines[scanned].includes("‣ slow left the chat")) return unstamped(lines[scanned]);
      }
      return "";
    };
    let gone = "";
    for (let i = 0; i < 10_000 && gone === ""; i++) {
      await talker.send(`${i} ${padding}`);
      if (i % 100 === 99) await talker.waitFor(`talker: ${i} `);
      gone = leave();
    }
    if (gone === "") {
      await talker.waitFor("‣ slow left the chat", 5000);
      gone = leave();
    }
    assertEquals(
      gone,
      `‣ slow left the chat (Too slow: more than ${outboxBytes} bytes of messages were waiting for you.).`,
    );
    await talker.send("still fine");
    await talker.waitFor("talker: still fine");
  } finally {
    slow.conn.close();
  }
});

Deno.test("shutdown says goodbye to browsers too: a bye event, then the socket closes", async () => {
  const room = startWebRoom();
  try {
    const { client: json } = await joinJson(room.port, "terminal");
    await using web = await joinWeb(room.wsUrl, "browser");
    await json.waitFor((event) => event.type === "join" && event.nick === "browser");
    await room.chat.shutdown();
    assertEquals((await web.waitForEvent("bye")).reason, "The server is shutting down.");
    await web.closed();
    await json.close();
  } finally {
    await room[Symbol.asyncDispose]();
  }
});

/** A stand-in for a server-side WebSocket: records frames, and buffers what a test says. */
class FakeSocket extends EventTarget {
  readyState: number = WebSocket.OPEN;
  bufferedAmount = 0;
  binaryType = "blob";
  sent: string[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string | ArrayBuffer }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  send(text: string) {
    this.sent.push(text);
  }
  close() {
    this.readyState = WebSocket.CLOSED;
    this.onclose?.();
  }
}

function fakeTransport(socket: FakeSocket, frames = new FrameTexts()) {
  return new WebSocketTransport(socket as unknown as WebSocket, {
    remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 1 },
    closeAboveBytes: 1 << 20,
    frames,
  });
}

Deno.test("WebSocketTransport: the lines of one write go out as one text frame; a partial line waits for its end", async () => {
  const socket = new FakeSocket();
  const transport = fakeTransport(socket);
  const bytes = (text: string) => new TextEncoder().encode(text);
  await transport.write(bytes("Welcome to chat! Enter your nickname:\r\n"));
  const chunk = bytes('{"a":1}\n{"b":2}\n{"c"');
  assertEquals(await transport.write(chunk), chunk.length);
  await transport.write(bytes(':"ü"}\n'));
  assertEquals(socket.sent, [
    "Welcome to chat! Enter your nickname:",
    '{"a":1}\n{"b":2}',
    '{"c":"ü"}',
  ]);
  // The reader sees the handshake first, then each frame as one line.
  socket.onmessage!({ data: '{"type":"say","text":"hi"}' });
  const buffer = new Uint8Array(64);
  const handshake = await transport.read(buffer);
  assertEquals(new TextDecoder().decode(buffer.subarray(0, handshake!)), "CHAT/1 json\n");
  const line = await transport.read(buffer);
  assertEquals(new TextDecoder().decode(buffer.subarray(0, line!)), '{"type":"say","text":"hi"}\n');
  socket.close();
  assertEquals(await transport.read(buffer), null);
});

Deno.test("WebSocketTransport: write() waits while the browser is behind, and fails once it closes", async () => {
  const socket = new FakeSocket();
  const transport = fakeTransport(socket);
  socket.bufferedAmount = 1 << 20;
  let settled = "";
  const writing = transport.write(new TextEncoder().encode("x\n")).then(
    () => settled = "resolved",
    () => settled = "rejected",
  );
  // Bounded: it polls with back-off; nothing settles while the browser takes nothing.
  await new Promise((resolve) => setTimeout(resolve, 30));
  assertEquals(settled, "");
  socket.bufferedAmount = 0;
  await writing;
  assertEquals(settled, "resolved");

  socket.bufferedAmount = 1 << 20;
  const stuck = transport.write(new TextEncoder().encode("y\n")).then(
    () => "resolved",
    () => "rejected",
  );
  socket.close();
  assertEquals(await stuck, "rejected");
});

Deno.test("FrameTexts decodes a shared broadcast once for every browser", () => {
  const frames = new FrameTexts();
  const shared = new TextEncoder().encode('{"n":1}\n{"n":2}\n');
  const decode = TextDecoder.prototype.decode;
  let decoded = 0;
  TextDecoder.prototype.decode = function (...args) {
    decoded++;
    return decode.apply(this, args);
  };
  try {
    for (let member = 0; member < 100; member++) {
      assertEquals(frames.of(shared), '{"n":1}\n{"n":2}');
    }
  } finally {
    TextDecoder.prototype.decode = decode;
  }
  assertEquals(decoded, 1);
});
