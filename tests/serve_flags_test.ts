/**
 * The real `chat serve` process: every flag reaches the running room, a
 * `--memory` room keeps its history, and the scheduler fires on its own.
 */
import { assert, assertEquals } from "./support/assert.ts";
import { assertUsageErrors } from "./support/chat_command.ts";
import { ServeProcess } from "./support/serve_process.ts";
import { joinPlain, LineClient } from "./support/test_server.ts";

function unstamped(line: string): string {
  return line.replace(/^\[\d\d:\d\d\] /, "");
}

Deno.test("chat serve hands every limit flag and --history to the room", async () => {
  await using server = new ServeProcess([
    "--memory",
    "--log-format",
    "json",
    "--history",
    "3",
    "--max-line-bytes",
    "100",
    "--max-paste-bytes",
    "2000",
    "--rate",
    "3",
    "--burst",
    "2",
    "--outbox-bytes",
    "50000",
    "--register-timeout",
    "7",
    "--max-per-ip",
    "5",
    "--max-connections",
    "50",
    "--max-schedules",
    "77",
    "--max-schedules-per-address",
    "7",
    "--schedule-bytes-per-minute",
    "7777",
    "--join-rate",
    "3/20s",
    "--join-burst",
    "4",
    "--exempt",
    "10.0.0.0/8, ::1",
    "--trusted-proxy",
    "192.0.2.1",
    "--nick-hold",
    "7",
    "--owner-key",
    "SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
  ]);
  await server.port;
  const listening = server.log.split("\n").map((line) => {
    try {
      return JSON.parse(line);
    } catch {
      return null;
    }
  }).find((entry) => entry?.event === "listening");
  assert(listening, server.log);
  const { time: _time, level: _level, event: _event, address: _address, ...limits } = listening;
  assertEquals(limits, {
    maxLineBytes: 100,
    maxPasteBytes: 2000,
    rate: 3,
    burst: 2,
    outboxBytes: 50000,
    registerTimeout: 7,
    maxPerIp: 5,
    joinRate: 3,
    joinRateSeconds: 20,
    joinBurst: 4,
    exempt: "10.0.0.0/8,::1/128",
    trustedProxy: "192.0.2.1/32",
    nickHoldDays: 7,
    ownerKey: "SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    private: false,
    maxConnections: 50,
    maxSchedules: 77,
    maxSchedulesPerAddress: 7,
    scheduleBytesPerMinute: 7777,
    history: 3,
  });
});

Deno.test("a --memory room refuses lines over --max-line-bytes and shows newcomers --history messages", async () => {
  await using server = new ServeProcess(["--memory", "--history", "2", "--max-line-bytes", "100"]);
  const port = await server.port;
  await using ana = await joinPlain(port, "ana");
  await ana.send("x".repeat(101));
  assertEquals(
    unstamped(await ana.waitFor("Line too long")),
    "Line too long (101 bytes; the limit is 100). It was not sent.",
  );
  for (const text of ["first", "second", "third"]) await ana.send(text);
  await ana.waitFor("ana: third");
  await using bob = await LineClient.connect(port);
  await bob.send("bob");
  const seen: string[] = [];
  while (!seen.at(-1)?.includes("‣ bob joined the chat.")) {
    seen.push(unstamped(await bob.readLine()));
  }
  assertEquals(seen.filter((line) => line.startsWith("(history)")), [
    "(history) ana: second",
    "(history) ana: third",
  ]);
});

Deno.test("a running chat serve sends a scheduled message when it falls due", async () => {
  await using server = new ServeProcess(["--memory"]);
  const port = await server.port;
  await using ana = await joinPlain(port, "ana");
  await using bob = await joinPlain(port, "bob");
  await ana.send("/schedule +2s ring");
  await ana.waitFor("Scheduled #1");
  // Due in 2 s; the scheduler looks every second, so it is there within 3.5 s.
  assertEquals(unstamped(await bob.waitFor("Scheduled by", 3500)), "[Scheduled by ana] ring");
});

Deno.test("a bad --exempt, --trusted-proxy or --join-rate is a one-line usage error", async () => {
  await assertUsageErrors([
    [
      ["serve", "--exempt", "10.0.0.0/33"],
      `option '--exempt <cidrs>' argument '10.0.0.0/33' is invalid. "10.0.0.0/33" is not an ` +
      `address range (the prefix length must be 0 to 32); expected CIDR like 10.0.0.0/8 or ` +
      `::1/128, or "none".`,
    ],
    [
      ["serve", "--trusted-proxy", "nope"],
      `option '--trusted-proxy <cidrs>' argument 'nope' is invalid. "nope" is not an address ` +
      `range (not an IPv4 or IPv6 address); expected CIDR like 10.0.0.0/8 or ::1/128, or "none".`,
    ],
    [
      ["serve", "--join-rate", "5"],
      "option '--join-rate <count/seconds>' argument '5' is invalid. Not COUNT/SECONDS, such as " +
      "5/10 (or 0 for no limit).",
    ],
  ]);
});
