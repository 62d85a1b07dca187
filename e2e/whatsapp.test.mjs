// Connects a WhatsApp number in the page, receives customer messages from the Cloud API
// simulator, and replies from the chat until the reply shows Meta's read ticks.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { expectToast, freePort, login, startBrowser, startServer, startSimulator } from "./harness.mjs";

describe("whatsapp", () => {
  let server, simulator, browser, page;

  before(async () => {
    const port = await freePort();
    simulator = await startSimulator(`http://127.0.0.1:${port}/webhooks/whatsapp`, 2);
    server = await startServer({ port, env: { RAPPORT_GRAPH_API_URL: simulator.url } });
    browser = await startBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await login(page, server.base, server.admin.account, server.admin.password);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await simulator?.stop();
  });

  test("a number is connected in the WhatsApp accounts page without showing its secrets again", async () => {
    await page.getByRole("link", { name: "WhatsApp accounts" }).click();
    await page.getByRole("button", { name: "Connect number" }).click();
    const dialog = page.locator("#connect-dialog");
    await dialog.getByLabel("Phone number id").fill(simulator.account.phoneNumberId);
    await dialog.getByLabel("WhatsApp Business Account id").fill(simulator.account.wabaId);
    await dialog.getByLabel("Number", { exact: true }).fill("+44 7700 900000");
    await dialog.getByLabel("Push name").fill("E2E Sales");
    await dialog.getByLabel("Access token").fill(simulator.account.token);
    await dialog.getByLabel("App secret").fill(simulator.account.secret);
    await dialog.getByRole("button", { name: "Ok" }).click();
    await expectToast(page, "Number connected");
    const row = page.locator(`tr[data-phone-number-id="${simulator.account.phoneNumberId}"]`);
    await row.waitFor();
    assert.match(await row.textContent(), /E2E Sales[\s\S]*Connected/);
    assert.ok(!(await page.content()).includes(simulator.account.token), "the token is never in the page");
    await row.getByRole("button", { name: "Sync templates" }).click();
    await expectToast(page, "Templates synced from Meta");
    // Who receives new customers, and how.
    await page.locator(`tr[data-phone-number-id="${simulator.account.phoneNumberId}"]`).getByRole("button", { name: "Distribution" }).click();
    const distribution = page.locator("#distribution-dialog");
    await distribution.getByLabel("How").selectOption("in_turn");
    await distribution.getByLabel("Administrator").check();
    await distribution.getByLabel("Notify managers of all messages").check();
    await distribution.getByRole("button", { name: "Ok" }).click();
    await expectToast(page, "Distribution saved");
    await page.locator(`tr[data-phone-number-id="${simulator.account.phoneNumberId}"]`).getByRole("button", { name: "Distribution" }).click();
    assert.equal(await distribution.getByLabel("How").inputValue(), "in_turn");
    assert.equal(await distribution.getByLabel("Administrator").isChecked(), true, "the saved list is shown again");
    await distribution.getByRole("button", { name: "Cancel" }).click();
  });

  test("a template is added, edited and removed in the template catalogue", async () => {
    await page.getByRole("link", { name: "Message templates" }).click();
    // Sync templates brought Meta's catalogue in: the approved order_ready is listed.
    assert.match(await page.locator('tr[data-template-name="order_ready"]').textContent(), /approved[\s\S]*Hello \{\{1\}\}/);
    await page.getByRole("button", { name: "Add template" }).click();
    const dialog = page.locator("#template-dialog");
    await dialog.getByLabel("Name").fill("delivery_slot");
    await dialog.getByLabel("Language").fill("ro");
    await dialog.getByLabel("Body").fill("Bună {{1}}, livrarea vine mâine între {{2}}.");
    await dialog.getByLabel("Footer").fill("Acme Trading");
    await dialog.getByRole("button", { name: "Ok" }).click();
    await expectToast(page, "Template saved");
    const row = page.locator('tr[data-template-name="delivery_slot"]');
    assert.match(await row.textContent(), /ro[\s\S]*UTILITY[\s\S]*approved[\s\S]*livrarea vine mâine[\s\S]*2/);
    await row.getByRole("button", { name: "Edit" }).click();
    assert.equal(await dialog.getByLabel("Footer").inputValue(), "Acme Trading", "the form shows the saved parts");
    await dialog.getByLabel("Status").selectOption("paused");
    await dialog.getByRole("button", { name: "Ok" }).click();
    // The page reloads with the change (the earlier "Template saved" toast may still be showing).
    await page.locator('tr[data-template-name="delivery_slot"]', { hasText: "paused" }).waitFor();
    await page.locator('tr[data-template-name="delivery_slot"]').getByRole("button", { name: "Delete" }).click();
    await page.locator("#confirm-dialog").getByRole("button", { name: "Ok" }).click();
    await expectToast(page, "Template removed");
    await page.locator('tr[data-template-name="delivery_slot"]').waitFor({ state: "detached" });
  });

  test("customer messages arrive and a reply ends with read ticks", async () => {
    let chat;
    for (let i = 0; i < 50 && !chat; i++) {
      await page.goto(`${server.base}/chats`);
      const first = page.locator("[data-conversation]").first();
      if (await first.count()) chat = first;
      else await page.waitForTimeout(200);
    }
    assert.ok(chat, "a conversation appeared");
    await chat.click();
    await page.locator(".bubble:not(.out)").first().waitFor();
    await page.getByLabel("Write a reply…").fill("Thanks for writing! How can we help?");
    await page.getByRole("button", { name: "Send" }).click();
    await expectToast(page, "Message queued");
    // Sent → delivered → read arrive over the live connection: no reload needed.
    await page.evaluate(() => { window.stillTheSamePage = true; });
    const reply = page.locator(".bubble.out", { hasText: "Thanks for writing!" });
    await reply.locator(".ticks.read").waitFor({ timeout: 10000 });
    assert.equal(await reply.locator(".ticks.read").textContent(), "✓✓");
    assert.equal(await page.evaluate(() => window.stillTheSamePage), true, "the page was not reloaded");
  });

  test("a picture is attached in the composer and sent with its caption", async () => {
    const png = Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000202a3ec6f7d0000000049454e44ae426082", "hex");
    await page.locator('input[name="files"]').setInputFiles({ name: "jacket.png", mimeType: "image/png", buffer: png });
    await page.getByLabel("Write a reply…").fill("This one?");
    await page.getByRole("button", { name: "Send" }).click();
    await expectToast(page, "Message queued");
    const bubble = page.locator(".bubble.out", { hasText: "This one?" });
    await bubble.waitFor();
    assert.match(await bubble.textContent(), /This one\?/);
  });

  test("new customers appear in the chat list live, without reloading", async () => {
    await page.goto(`${server.base}/chats`);
    await page.locator("[data-live][data-connected]").waitFor();
    await page.evaluate(() => { window.stillTheSamePage = true; });
    const before = await page.locator("[data-conversation]").count();
    await page.waitForFunction((n) => document.querySelectorAll("[data-conversation]").length > n, before, { timeout: 10000 });
    assert.equal(await page.evaluate(() => window.stillTheSamePage), true, "the page was not reloaded");
  });

  test("chat history finds a message and opens the chat at it", async () => {
    await page.getByRole("link", { name: "Chat history" }).click();
    await page.getByLabel("Words from a message, in any language").fill("message");
    await page.getByRole("button", { name: "Search" }).click();
    const hit = page.locator("[data-hit]").first();
    await hit.waitFor();
    assert.match(await hit.locator("mark").textContent(), /^message$/i, "the match is highlighted");
    const messageId = await hit.getAttribute("data-hit");
    await hit.click();
    await page.waitForURL(/\/chats\?c=\d+#m-\d+$/);
    await page.locator(`#m-${messageId}`).waitFor();
  });

  test("an agent leaves an internal note, takes the chat, resolves it and finds it under Resolved", async () => {
    await page.goto(`${server.base}/chats`);
    await page.locator("[data-conversation]").first().click();
    await page.getByText("Add internal note").first().click();
    await page.getByPlaceholder("Only colleagues see this note").fill("VIP customer, offer free delivery");
    await page.locator(".note-composer").getByRole("button", { name: "Add internal note" }).click();
    await expectToast(page, "Note added");
    const note = page.locator(".bubble.note", { hasText: "VIP customer" });
    await note.waitFor();
    assert.match(await note.textContent(), /Internal note/);
    await page.getByLabel("Responsible", { exact: true }).selectOption({ label: "Administrator" });
    await page.waitForLoadState("load");
    assert.equal(await page.getByLabel("Responsible", { exact: true }).locator("option:checked").textContent(), "Administrator");
    await page.getByRole("button", { name: "Resolve" }).click();
    await page.getByRole("button", { name: "Reopen" }).waitFor();
    const url = new URL(page.url());
    await page.goto(`${server.base}/chats?status=resolved`);
    const resolved = page.locator("[data-conversation]");
    assert.equal(await resolved.count(), 1, "only the resolved chat is listed");
    assert.equal(await resolved.getAttribute("data-conversation"), url.searchParams.get("c"));
  });

  test("the list's filters are saved as a named view and found again", async () => {
    await page.goto(`${server.base}/chats`);
    await page.getByLabel("Status").selectOption("resolved");
    await page.getByRole("button", { name: "Search" }).click();
    await page.waitForURL(/status=resolved/);
    await page.getByRole("button", { name: "Save view" }).click();
    await page.getByLabel("Name of the view").fill("Done deals");
    await page.locator("#save-view-dialog").getByRole("button", { name: "Ok" }).click();
    await expectToast(page, "View saved");
    await page.goto(`${server.base}/chats`);
    await page.getByRole("link", { name: "Done deals" }).click();
    await page.waitForURL(/status=resolved/);
    assert.equal(await page.getByLabel("Status").inputValue(), "resolved");
  });
});
