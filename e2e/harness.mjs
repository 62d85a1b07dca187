// Starts the real `rapport` binary on a fresh SQLite database and a free port, and headless
// Debian Chromium driven by playwright-core. Nothing is downloaded.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const bin = process.env.RAPPORT_BIN || new URL("../target/debug/rapport", import.meta.url).pathname;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

async function waitForHealth(base, child) {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`rapport exited with ${child.exitCode}`);
    try {
      const response = await fetch(`${base}/healthz`);
      if (response.ok) return;
    } catch (_) { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("rapport did not become healthy");
}

/** The WhatsApp Cloud API simulator on a free port, posting webhooks to `webhookUrl`. */
export async function startSimulator(webhookUrl, messagesPerSecond) {
  const port = await freePort();
  const child = spawn(bin, ["simulator", "--listen", `127.0.0.1:${port}`, "--webhook-url", webhookUrl,
    "--messages-per-second", String(messagesPerSecond)], { env: { ...process.env, RAPPORT_LOG: "error" }, stdio: ["ignore", "inherit", "inherit"] });
  return {
    url: `http://127.0.0.1:${port}`,
    account: { phoneNumberId: "106540352242922", wabaId: "102290129340398", token: "EAAG-simulated-token", secret: "simulated-app-secret" },
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    },
  };
}

/** A running server with one company; `admin` holds every permission. */
export async function startServer(extraEnv = {}) {
  const dir = mkdtempSync(join(tmpdir(), "rapport-e2e-"));
  const env = { ...process.env, DATABASE_URL: `sqlite://${join(dir, "e2e.db")}`, RAPPORT_SECRET_KEY_FILE: join(dir, "secret.key"),
    RAPPORT_MEDIA_DIR: join(dir, "media"), RAPPORT_LOG: "warn" };
  const admin = { account: "admin@e2e.test", password: "admin-pass-1" };
  const companyId = execFileSync(bin, ["admin", "create-company", "--name", "E2E Trading",
    "--admin-account", admin.account, "--admin-password", admin.password], { env }).toString().trim();
  const port = extraEnv.port || await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(bin, ["serve"], { env: { ...env, ...extraEnv.env, RAPPORT_LISTEN: `127.0.0.1:${port}` }, stdio: ["ignore", "inherit", "inherit"] });
  await waitForHealth(base, child);
  return {
    base, admin, companyId,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export { freePort };

export async function startBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

/** Logs in through the login page and waits for the first page of the menu. */
export async function login(page, base, account, password) {
  await page.goto(`${base}/login`);
  await page.getByLabel("Account").fill(account);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/login"));
}

export async function logout(page) {
  await page.locator(".user-menu summary").click();
  await page.getByRole("button", { name: "Logout" }).click();
  await page.waitForURL("**/login");
}

/** Waits until the toast shows `text` (a string or a pattern). */
export async function expectToast(page, text) {
  await page.locator("#toast.show", { hasText: text }).waitFor();
}
