// Two agents in two browsers share a first-responder number: a simulated customer writes, both
// see the chat arrive live, one answers, and the chat vanishes from the other's list live,
// while the customer receives the reply and its ticks go to read.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { expectToast, freePort, login, startBrowser, startServer, startSimulator } from "./harness.mjs";

/** Calls the API from a logged-in page, as its script does. */
async function api(page, method, path, body) {
  return page.evaluate(async ({ method, path, body }) => {
    const csrf = document.querySelector('meta[name="csrf-token"]').content;
    const response = await fetch(path, { method, headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: response.status, data: await response.json().catch(() => null) };
  }, { method, path, body });
}

describe("inbox", () => {
  let server, simulator, browser;
  const agents = [];

  before(async () => {
    const port = await freePort();
    simulator = await startSimulator(`http://127.0.0.1:${port}/webhooks/whatsapp`, 0);
    server = await startServer({ port, env: { RAPPORT_GRAPH_API_URL: simulator.url } });
    browser = await startBrowser();
    const admin = await (await browser.newContext()).newPage();
    await login(admin, server.base, server.admin.account, server.admin.password);
    const a = simulator.account;
    const number = await api(admin, "POST", "/api/v1/numbers",
      { phone_number_id: a.phoneNumberId, waba_id: a.wabaId, access_token: a.token, app_secret: a.secret });
    assert.equal(number.status, 201);
    const me = await api(admin, "GET", "/api/v1/me");
    const ids = [];
    for (const name of ["Ana", "Bo"]) {
      const account = `${name.toLowerCase()}@e2e.test`;
      const created = await api(admin, "POST", "/api/v1/staff",
        { account, name, password: "agent-pass-1", department_id: me.data.department_id });
      assert.equal(created.status, 201, JSON.stringify(created.data));
      await api(admin, "PUT", `/api/v1/staff/${created.data.id}/grants`, { grants: ["menu.chats"] });
      await api(admin, "PATCH", `/api/v1/staff/${created.data.id}`, { role: "sales_rep" });
      ids.push(created.data.id);
      const page = await (await browser.newContext()).newPage();
      await login(page, server.base, account, "agent-pass-1");
      agents.push(page);
    }
    const saved = await api(admin, "PUT", `/api/v1/numbers/${number.data.id}/distribution`, { mode: "first_responder", staff_ids: ids });
    assert.equal(saved.status, 200);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await simulator?.stop();
  });

  test("a new customer reaches both agents live; the first reply takes it away from the other", async () => {
    const [ana, bo] = agents;
    for (const page of agents) {
      await page.goto(`${server.base}/chats`);
      await page.locator("[data-live][data-connected]").waitFor();
    }
    const wrote = await fetch(`${simulator.url}/simulator/customer-messages`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ wa_id: "447700900777", name: "Jane Customer", text: "Is the red bag in stock?" }),
    });
    assert.equal(wrote.status, 200);
    for (const page of agents) {
      await page.locator("[data-conversation]", { hasText: "Jane Customer" }).waitFor({ timeout: 10000 });
    }
    await ana.locator("[data-conversation]", { hasText: "Jane Customer" }).click();
    await ana.getByLabel("Write a reply…").fill("Yes, it is. Shall I reserve one?");
    await ana.getByRole("button", { name: "Send" }).click();
    await expectToast(ana, "Message queued");
    // Gone from Bo's list without a reload.
    await bo.evaluate(() => { window.stillTheSamePage = true; });
    await bo.locator("[data-conversation]").waitFor({ state: "detached", timeout: 10000 });
    assert.equal(await bo.evaluate(() => window.stillTheSamePage), true);
    // The customer got it, and Ana's ticks go to read.
    const reply = ana.locator(".bubble.out", { hasText: "Shall I reserve one?" });
    await reply.locator(".ticks.read").waitFor({ timeout: 10000 });
    const sent = await (await fetch(`${simulator.url}/simulator/sent`)).json();
    assert.deepEqual(sent.map((m) => [m.to, m.text]), [["447700900777", "Yes, it is. Shall I reserve one?"]]);
  });

  test("the responsible agent sees the customer card, quotes the customer's message and reacts to it", async () => {
    const [ana] = agents;
    const card = ana.locator("aside.contact-card");
    await card.getByRole("heading", { name: "Jane Customer" }).waitFor();
    assert.match(await card.innerText(), /447700900777/);
    assert.match(await card.locator("[data-card-responsible]").innerText(), /Ana/);
    const question = ana.locator(".bubble:not(.out)", { hasText: "Is the red bag in stock?" });
    await question.hover();
    await question.getByRole("button", { name: "Reply" }).click();
    await ana.locator("[data-replying]", { hasText: "Is the red bag in stock?" }).waitFor();
    await ana.getByLabel("Write a reply…").fill("The red one, yes.");
    await ana.getByRole("button", { name: "Send" }).click();
    await expectToast(ana, "Message queued");
    await ana.locator(".bubble.out", { hasText: "The red one, yes." }).locator("blockquote", { hasText: "Is the red bag in stock?" }).waitFor();
    const quoted = ana.locator(".bubble:not(.out)", { hasText: "Is the red bag in stock?" });
    await quoted.hover();
    await quoted.getByRole("button", { name: "React with 👍" }).click();
    await expectToast(ana, "Reaction sent");
    await ana.locator(".bubble:not(.out)", { hasText: "Is the red bag in stock?" }).locator(".reactions", { hasText: "👍" }).waitFor({ timeout: 10000 });
    const sent = await (await fetch(`${simulator.url}/simulator/sent`)).json();
    const reply = sent.find((m) => m.text === "The red one, yes.");
    const reaction = sent.find((m) => m.type === "reaction");
    assert.ok(reply?.reply_to, "the reply quotes the customer's message");
    assert.equal(reaction?.emoji, "👍");
    assert.equal(reaction?.to, "447700900777");
  });

  test("an agent starts a chat by phone; it opens with the template composer", async () => {
    const [ana] = agents;
    await ana.goto(`${server.base}/chats`);
    await ana.getByRole("button", { name: "New chat" }).click();
    const dialog = ana.locator("#new-chat-dialog");
    await dialog.getByLabel("Customer's phone (with country code)").fill("12");
    await dialog.getByRole("button", { name: "Ok" }).click();
    await dialog.locator(".form-error", { hasText: "international number" }).waitFor();
    await dialog.getByLabel("Customer's phone (with country code)").fill("+44 7700 900888");
    await dialog.getByLabel("Name (for a new customer)").fill("Sam Prospect");
    await dialog.getByRole("button", { name: "Ok" }).click();
    await ana.waitForURL(/\/chats\?c=\d+/);
    await ana.locator("aside.contact-card").getByRole("heading", { name: "Sam Prospect" }).waitFor();
    await ana.getByText("The 24-hour window is closed").waitFor();
    assert.match(await ana.locator("aside.contact-card [data-card-responsible]").innerText(), /Ana/);
  });

  test("scrolling up a long chat brings its older messages in above", async () => {
    const [ana] = agents;
    for (let i = 1; i <= 205; i++) {
      const wrote = await fetch(`${simulator.url}/simulator/customer-messages`, {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ wa_id: "447700900777", name: "Jane Customer", text: `Line ${i} of my long story` }),
      });
      assert.equal(wrote.status, 200);
    }
    await ana.goto(`${server.base}/chats`);
    await ana.locator("[data-conversation]", { hasText: "Jane Customer" }).click();
    await ana.locator(".bubble", { hasText: "Line 205 of my long story" }).waitFor();
    // A reader scrolls once the page has settled (opened at its newest message, live).
    await ana.locator("[data-live][data-connected]").waitFor();
    const question = ana.locator(".bubble:not(.out)", { hasText: "Is the red bag in stock?" });
    assert.equal(await question.count(), 0, "older than the newest 200");
    await ana.locator("#bubbles").evaluate((el) => { el.scrollTop = 0; });
    await question.waitFor({ timeout: 10000 });
    const scrolled = await ana.locator("#bubbles").evaluate((el) => el.scrollTop);
    assert.ok(scrolled > 100, `the reader stays at the message they were reading, not at the top (${scrolled})`);
  });
});
