/**
 * Per-address limits see the real client: behind a --trusted-proxy that
 * sends the PROXY protocol (or, at the web door, X-Forwarded-For), the caps
 * and the logs use the address the proxy names; a PROXY header from anyone
 * else is refused; --exempt replaces the old blanket loopback exemption.
 */
import { parseAddressRanges } from "../server/address_range.ts";
import { UNTRUSTED_PROXY_TEXT } from "../server/proxied_transport.ts";
import { assert, assertEquals } from "./support/assert.ts";
import { RawClient } from "./support/raw_client.ts";
import { joinPlain, startServer } from "./support/test_server.ts";
import { rawUpgrade } from "./support/web_client.ts";
import { startWebRoom } from "./support/web_room.ts";

const encoder = new TextEncoder();

/** A PROXY v2 header for a TCP over IPv4 client `source`:`port`. */
function proxyV2(source: [number, number, number, number], port: number): Uint8Array {
  const signature = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
  const header = new Uint8Array(16 + 12);
  header.set(signature);
  header[12] = 0x21; // version 2, PROXY
  header[13] = 0x11; // INET, STREAM
  header[15] = 12; // address block length
  header.set(source, 16);
  header.set([10, 0, 0, 1], 20);
  new DataView(header.buffer).setUint16(24, port);
  new DataView(header.buffer).setUint16(26, 9999);
  return header;
}

/** A room behind a proxy on 127.0.0.1: one connection per real address, nothing exempt. */
function roomBehindProxy(logged: string[]) {
  return startServer({
    trustedProxies: parseAddressRanges("127.0.0.1/32", "--trusted-proxy"),
    exempt: parseAddressRanges("none", "--exempt"),
    limits: { maxPerIp: 1 },
    log: (_level, event, fields) => logged.push(`${event} ${JSON.stringify(fields)}`),
  });
}

Deno.test("behind a trusted proxy, the per-address cap and the log use the address the PROXY header names", async () => {
  const logged: string[] = [];
  await using server = roomBehindProxy(logged);
  const port = server.address.port;
  await using first = await RawClient.connect(port);
  await first.write(encoder.encode("PROXY TCP4 203.0.113.7 10.0.0.1 5555 9999\r\nana\n"));
  await first.waitFor("Welcome, ana!");
  // Another client through the same proxy is another address: not over the cap of 1.
  await using second = await RawClient.connect(port);
  await second.write(proxyV2([198, 51, 100, 9], 6000));
  await second.send("bob");
  await second.waitFor("Welcome, bob!");
  // The first client's address again: over the cap.
  await using third = await RawClient.connect(port);
  await third.write(encoder.encode("PROXY TCP4 203.0.113.7 10.0.0.1 5556 9999\r\n"));
  await third.waitFor("Too many connections from your address (at most 1).");
  assert(
    logged.some((line) =>
      line.startsWith('connect {"id":1,"address":"203.0.113.7","via":"127.0.0.1"}')
    ),
    logged.join("\n"),
  );
  assert(logged.some((line) => line.includes('"address":"198.51.100.9"')), logged.join("\n"));
  assert(
    logged.some((line) => line.startsWith('limit {"address":"203.0.113.7","limit":"max-per-ip"')),
    logged.join("\n"),
  );
});

Deno.test("a trusted proxy's connection without a PROXY header, or with a bad one, is closed and logged", async () => {
  const logged: string[] = [];
  await using server = roomBehindProxy(logged);
  const port = server.address.port;
  await using plain = await RawClient.connect(port);
  await plain.send("ana");
  await plain.waitUntil(() => plain.ended, () => "still open", 3000);
  await using bad = await RawClient.connect(port);
  await bad.write(encoder.encode("PROXY TCP4 999.0.0.1 10.0.0.1 1 2\r\n"));
  await bad.waitUntil(() => bad.ended, () => "still open", 3000);
  assertEquals(server.room.size, 0);
  assert(
    logged.some((line) => line.includes("no PROXY header from a trusted proxy")),
    logged.join("\n"),
  );
  assert(logged.some((line) => line.includes("bad PROXY header")), logged.join("\n"));
});

Deno.test("a PROXY header from an address that is not a trusted proxy is refused", async () => {
  const logged: string[] = [];
  await using server = startServer({
    log: (_level, event, fields) => logged.push(`${event} ${JSON.stringify(fields)}`),
  });
  const port = server.address.port;
  for (
    const header of [
      encoder.encode("PROXY TCP4 1.2.3.4 10.0.0.1 5555 9999\r\n"),
      proxyV2([1, 2, 3, 4], 1),
    ]
  ) {
    await using spoofer = await RawClient.connect(port);
    await spoofer.write(header);
    await spoofer.waitFor(UNTRUSTED_PROXY_TEXT);
    await spoofer.waitUntil(() => spoofer.ended, () => "still open", 3000);
  }
  assertEquals(
    logged.filter((line) => line.includes('"limit":"untrusted-proxy-header"')).length,
    2,
    logged.join("\n"),
  );
  // An ordinary client is not bothered.
  await using _ana = await joinPlain(port, "ana");
  assertEquals(server.room.size, 1);
});

Deno.test("only a connection's first bytes are taken for a PROXY header: a member may say one later", async () => {
  const logged: string[] = [];
  await using server = startServer({
    log: (_level, event, fields) => logged.push(`${event} ${JSON.stringify(fields)}`),
  });
  const port = server.address.port;
  await using ana = await joinPlain(port, "ana");
  await using bob = await joinPlain(port, "bob");
  await ana.send("PROXY TCP4 203.0.113.7 10.0.0.1 5555 9999");
  await bob.waitFor("ana: PROXY TCP4 203.0.113.7 10.0.0.1 5555 9999");
  await ana.send("still here");
  await bob.waitFor("ana: still here");
  assertEquals(server.room.size, 2);
  assert(!logged.some((line) => line.includes("untrusted-proxy-header")), logged.join("\n"));
});

Deno.test("--exempt none holds loopback to --max-per-ip; a listed range is free of it", async () => {
  {
    await using server = startServer({
      exempt: parseAddressRanges("none", "--exempt"),
      limits: { maxPerIp: 1 },
    });
    await using _ana = await joinPlain(server.address.port, "ana");
    await using extra = await RawClient.connect(server.address.port);
    await extra.waitFor("Too many connections from your address (at most 1).");
  }
  {
    await using server = startServer({
      exempt: parseAddressRanges("10.0.0.0/8,127.0.0.0/8", "--exempt"),
      limits: { maxPerIp: 1 },
    });
    await using _ana = await joinPlain(server.address.port, "ana");
    await using _bob = await joinPlain(server.address.port, "bob");
  }
});

Deno.test("at the web door, a trusted proxy's X-Forwarded-For names the browser; anyone else's is ignored", async () => {
  const logged: string[] = [];
  const log = (_level: string, event: string, fields: Record<string, unknown>) =>
    logged.push(`${event} ${JSON.stringify(fields)}`);
  {
    await using room = startWebRoom({
      trustedProxies: parseAddressRanges("127.0.0.1", "--trusted-proxy"),
      log,
    });
    const socket = await rawUpgrade(room.web.address.port, {
      "X-Forwarded-For": "10.9.9.9, 192.0.2.44",
    });
    assertEquals(socket.status, 101);
    socket.conn.close();
  }
  {
    await using room = startWebRoom({ log });
    const socket = await rawUpgrade(room.web.address.port, { "X-Forwarded-For": "192.0.2.55" });
    assertEquals(socket.status, 101);
    socket.conn.close();
  }
  const connects = logged.filter((line) => line.startsWith("connect "));
  assert(connects[0].includes('"address":"192.0.2.44"'), connects.join("\n"));
  assert(connects[1].includes('"address":"127.0.0.1"'), connects.join("\n"));
});
