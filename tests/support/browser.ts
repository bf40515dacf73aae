/**
 * Test support: headless Chromium (Debian's) driven by
 * playwright-core, to test the page as a person uses it. Tests that need it
 * pass `ignore: !chromiumAvailable()` and say why they were skipped.
 *
 * Each launch gets a fresh profile in a temporary directory (playwright
 * makes it and removes it), and Chromium is told to fetch nothing on its own
 * (no component updates, no sync, no QUIC), so it only ever talks to the
 * loopback server under test.
 */
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

/**
 * Debian's headless shell (chromium-headless-shell: Blink without the
 * browser's own windows, the build playwright itself uses headless) where it
 * is installed, else Debian's full chromium. The shell takes about half the
 * CPU for the same pages.
 */
const CANDIDATES = ["/usr/lib/chromium/chromium-headless-shell", "/usr/bin/chromium"];

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

export const CHROMIUM = CANDIDATES.find(isFile) ?? "/usr/bin/chromium";
export const CHROMIUM_MISSING =
  "/usr/bin/chromium is not installed; .ci/run installs it (Debian's chromium and " +
  "chromium-headless-shell)";

let available: boolean | undefined;

/** Whether Chromium is installed where the tests look for it. */
export function chromiumAvailable(): boolean {
  available ??= isFile(CHROMIUM);
  return available;
}

export async function launchBrowser(): Promise<Browser & AsyncDisposable> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    timeout: 30_000,
  });
  return Object.assign(browser, { [Symbol.asyncDispose]: () => browser.close() });
}

export interface PageOptions {
  /** The viewer's IANA time zone (Chromium's own is the machine's). */
  timeZone?: string;
  width?: number;
  height?: number;
}

/**
 * A page in its own context (its own storage, like another person's
 * browser), with every dialog and uncaught error recorded so a test can
 * check that none happened.
 */
export class ChatPage implements AsyncDisposable {
  readonly context: BrowserContext;
  readonly page: Page;
  /** alert(), confirm(), prompt(): none should ever open. */
  readonly dialogs: string[] = [];
  readonly errors: string[] = [];

  private constructor(context: BrowserContext, page: Page) {
    this.context = context;
    this.page = page;
    page.on("dialog", (dialog) => {
      this.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      dialog.dismiss().catch(() => {});
    });
    page.on("pageerror", (error) => this.errors.push(String(error)));
    page.on("console", (message) => {
      // Chromium reports a WebSocket that cannot connect (the server is away) on the console
      // itself; that is the network, not the page.
      if (message.type() === "error" && !message.text().startsWith("WebSocket connection to")) {
        this.errors.push(message.text());
      }
    });
  }

  static async open(browser: Browser, url: string, options: PageOptions = {}): Promise<ChatPage> {
    const context = await browser.newContext({
      timezoneId: options.timeZone,
      viewport: { width: options.width ?? 1000, height: options.height ?? 640 },
      locale: "en-US",
    });
    const page = await context.newPage();
    page.setDefaultTimeout(5000);
    const chat = new ChatPage(context, page);
    await page.goto(url);
    return chat;
  }

  /** Types a nickname and presses Enter; resolves once the room view shows. */
  async join(nick: string): Promise<void> {
    await this.page.getByLabel("Nickname").fill(nick);
    await this.page.getByLabel("Nickname").press("Enter");
    await this.page.locator("#room-view").waitFor({ state: "visible" });
  }

  /** Types a line in the message box and presses Enter. */
  async type(line: string): Promise<void> {
    const input = this.page.getByLabel("Message or command");
    await input.fill(line);
    await input.press("Enter");
  }

  /** The text of every line in the message list, stamps included. */
  lines(): Promise<string[]> {
    return this.page.locator("#messages li").allTextContents();
  }

  /** Waits until a line contains `text`; returns that line's text. */
  async waitForLine(text: string, timeoutMs = 5000): Promise<string> {
    const line = this.page.locator("#messages li", { hasText: text }).last();
    try {
      await line.waitFor({ timeout: timeoutMs });
    } catch {
      throw new Error(
        `No line with ${JSON.stringify(text)}; the page shows:\n${(await this.lines()).join("\n")}`,
      );
    }
    return (await line.textContent()) ?? "";
  }

  /** The member list, one entry per member: its text (nick and badges). */
  members(): Promise<string[]> {
    return this.page.locator("#members li").allTextContents();
  }

  /** Waits until the member list reads `expected`. */
  async waitForMembers(expected: string[], timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let seen: string[] = [];
    while (Date.now() < deadline) {
      seen = (await this.members()).map((entry) => entry.replace(/\s+/g, " ").trim());
      if (JSON.stringify(seen) === JSON.stringify(expected)) return;
      await this.page.waitForTimeout(25);
    }
    throw new Error(`Members ${JSON.stringify(seen)}, expected ${JSON.stringify(expected)}`);
  }

  async close(): Promise<void> {
    await this.context.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
