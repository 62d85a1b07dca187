// Auto reply in the browser: an admin adds a rule on the Auto reply page, a simulated customer
// writes a matching message, and the chat shows the automatic replies, marked as such.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { expectToast, freePort, login, startBrowser, startServer, startSimulator } from "./harness.mjs";

describe("auto reply", () => {
  let server, simulator, browser, page;

  before(async () => {
    const port = await freePort();
    simulator = await startSimulator(`http://127.0.0.1:${port}/webhooks/whatsapp`, 0);
    server = await startServer({ port, env: { RAPPORT_GRAPH_API_URL: simulator.url } });
    browser = await startBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await login(page, server.base, server.admin.account, server.admin.password);
    const a = simulator.account;
    const connected = await page.evaluate(async (a) => {
      const csrf = document.querySelector('meta[name="csrf-token"]').content;
      const response = await fetch("/api/v1/numbers", { method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ phone_number_id: a.phoneNumberId, waba_id: a.wabaId, access_token: a.token, app_secret: a.secret }) });
      return response.status;
    }, a);
    assert.equal(connected, 201);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await simulator?.stop();
  });

  test("a rule made in the page answers a matching customer message in the chat", async () => {
    await page.getByRole("link", { name: "Auto reply" }).click();
    await page.getByText("No auto reply rule yet").waitFor();
    await page.getByRole("button", { name: "Add rule" }).click();
    const dialog = page.locator("#rule-dialog");
    await dialog.getByLabel("Rule type").selectOption("public");
    await dialog.getByLabel("Match words").fill("price | цена | 价格");
    await dialog.getByLabel("Match pattern").selectOption("contains_any");
    await dialog.getByLabel("Reply contents").fill("Our price list: acme.test/prices\n\nAnything else?");
    await dialog.getByRole("button", { name: "Ok" }).click();
    await expectToast(page, "Rule saved");
    const row = page.locator("#rules-table tbody tr");
    assert.match(await row.innerText(), /price \| цена \| 价格[\s\S]*Our price list[\s\S]*Anything else\?/);
    // Search finds it by its reply content; a word of no rule finds nothing.
    await page.getByPlaceholder("Match word or reply content").fill("anything else");
    await page.getByRole("button", { name: "Search" }).click();
    await page.locator("#rules-table tbody tr").waitFor();
    await page.getByPlaceholder("Match word or reply content").fill("delivery");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByText("No auto reply rule yet").waitFor();

    const wrote = await fetch(`${simulator.url}/simulator/customer-messages`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ wa_id: "447700900321", name: "Li Wei", text: "请问价格是多少？" }),
    });
    assert.equal(wrote.status, 200);
    await page.getByRole("link", { name: "Chats & Group chats" }).click();
    await page.locator("[data-conversation]", { hasText: "Li Wei" }).click();
    const automatic = page.locator(".bubble.out", { hasText: "Our price list" });
    await automatic.waitFor({ timeout: 10000 });
    assert.match(await automatic.innerText(), /Auto reply #\d+/);
    await page.locator(".bubble.out", { hasText: "Anything else?" }).waitFor({ timeout: 10000 });
    const sent = await (await fetch(`${simulator.url}/simulator/sent`)).json();
    assert.deepEqual(sent.map((m) => m.text), ["Our price list: acme.test/prices", "Anything else?"]);

    // Switched off in the page, the rule stays silent.
    await page.getByRole("link", { name: "Auto reply" }).click();
    await page.getByRole("switch", { name: /Enabled price/ }).click();
    await expectToast(page, "Rule disabled");
    await fetch(`${simulator.url}/simulator/customer-messages`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ wa_id: "447700900322", name: "Ivan", text: "Какая цена?" }),
    });
    await new Promise((r) => setTimeout(r, 500));
    const after = await (await fetch(`${simulator.url}/simulator/sent`)).json();
    assert.equal(after.length, 2);
  });

  test("a predefined text made in the page is picked in the chat, filled for the customer", async () => {
    await page.getByRole("link", { name: "Predefined texts" }).click();
    await page.getByRole("button", { name: "Add text" }).click();
    const dialog = page.locator("#text-dialog");
    await dialog.locator('input[name="name"]').fill("Thanks");
    await dialog.locator('textarea[name="body"]').fill("Thank you, $[Contact.Nmae]!");
    await dialog.getByRole("button", { name: "Ok" }).click();
    await dialog.locator(".form-error", { hasText: "$[Contact.Nmae]" }).waitFor();
    await dialog.locator('textarea[name="body"]').fill("Thank you, $[Contact.Name|dear customer]! $[Staff.Name]");
    await dialog.getByLabel("Share with the whole company").check();
    await dialog.getByRole("button", { name: "Ok" }).click();
    await expectToast(page, "Text saved");
    await page.getByRole("link", { name: "Chats & Group chats" }).click();
    await page.locator("[data-conversation]", { hasText: "Li Wei" }).click();
    await page.getByLabel("Predefined text…").selectOption({ label: "Thanks" });
    await page.waitForFunction(() => document.querySelector('form[data-compose] textarea[name="text"]').value !== "");
    assert.equal(await page.getByLabel("Write a reply…").inputValue(), "Thank you, Li Wei! Administrator");
  });

  test("a welcome message set on the WhatsApp accounts page greets a new customer", async () => {
    await page.getByRole("link", { name: "WhatsApp accounts" }).click();
    await page.getByRole("button", { name: "Welcome & away" }).click();
    const dialog = page.locator("#greetings-dialog");
    await dialog.getByLabel("Welcome new customers").check();
    await dialog.getByLabel("Welcome message").fill("Welcome to E2E Trading!");
    await dialog.getByLabel("Time zone").fill("Mars/Base");
    await dialog.getByRole("button", { name: "Ok" }).click();
    await dialog.locator(".form-error", { hasText: "time zone" }).waitFor();
    await dialog.getByLabel("Time zone").fill("Asia/Ho_Chi_Minh");
    await dialog.locator('textarea[name="hours"]').fill("mon 00:00-24:00\ntue 00:00-24:00\nwed 00:00-24:00\nthu 00:00-24:00\nfri 00:00-24:00\nsat 00:00-24:00\nsun 00:00-24:00");
    await dialog.getByRole("button", { name: "Ok" }).click();
    await expectToast(page, "Welcome and away messages saved");
    await page.getByRole("button", { name: "Welcome & away" }).click();
    assert.equal(await dialog.getByLabel("Time zone").inputValue(), "Asia/Ho_Chi_Minh", "the saved settings are shown again");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await fetch(`${simulator.url}/simulator/customer-messages`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ wa_id: "84901234999", name: "Trần Thị Bình", text: "Chào shop" }),
    });
    await page.getByRole("link", { name: "Chats & Group chats" }).click();
    await page.locator("[data-conversation]", { hasText: "Trần Thị Bình" }).click();
    const welcome = page.locator(".bubble.out", { hasText: "Welcome to E2E Trading!" });
    await welcome.waitFor({ timeout: 10000 });
    assert.match(await welcome.innerText(), /Welcome \/ away message/);
  });
});
