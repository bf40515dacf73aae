/**
 * The compiled binary runs with exactly the flags in scripts/permissions.ts
 * and can never prompt. This runs serve and join under those same flags,
 * without -A, through a whole conversation, so a missing permission fails
 * here instead of on a user's machine.
 */
import { match as assertMatch, ok } from "node:assert/strict";
import { RUNTIME_PERMISSIONS } from "../scripts/permissions.ts";
import { JoinProcess } from "./support/join_process.ts";
import { ServeProcess } from "./support/serve_process.ts";
import { tempDir } from "./support/temp_dir.ts";
import { joinPlain } from "./support/test_server.ts";

Deno.test("serve and join work with only the runtime permissions", async () => {
  await using dataDir = await tempDir("chat-permissions-");
  const flags = ["--no-prompt", ...RUNTIME_PERMISSIONS];
  await using server = new ServeProcess(["--data", `${dataDir.path}/chat.db`], {
    permissions: flags,
  });
  const port = await server.port;
  await using ana = new JoinProcess(
    [`127.0.0.1:${port}`, "--nick", "ana", "--retry", "0"],
    { HOME: dataDir.path },
    flags,
  );
  await ana.waitFor("Welcome, ana!");
  await using bob = await joinPlain(port, "bob");
  await ana.type("hello under narrow permissions");
  assertMatch(await bob.waitFor("ana: hello"), /ana: hello under narrow permissions$/);
  await bob.send("/whisper ana hi back");
  await ana.waitFor("[Whisper from bob] hi back");
  await ana.type("/schedule 23:59 later");
  await ana.waitFor("Scheduled #1 for 23:59");
  await ana.type("/quit");
  ok((await ana.exitCode()) === 0, await ana.stderr());
  ok(!/NotCapable|PermissionDenied|requires .* access/i.test(server.log), server.log);
  const { code, log } = await server.stop();
  ok(code === 0, log);
});
