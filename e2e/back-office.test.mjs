// Clicks through the back office as an administrator and as a newly created staff member.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { login, logout, startBrowser, startServer, expectToast } from "./harness.mjs";

describe("back office", () => {
  let server, browser, page;

  before(async () => {
    server = await startServer();
    browser = await startBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const menu = () => page.locator("nav.sidebar li a").allTextContents();

  test("the admin logs in and sees every menu", async () => {
    await login(page, server.base, server.admin.account, server.admin.password);
    assert.equal(new URL(page.url()).pathname, "/staff");
    const items = (await menu()).map((s) => s.trim());
    for (const item of ["Staff accounts", "Departments", "Audit log"]) assert.ok(items.includes(item), `${item} in ${items}`);
  });

  test("a wrong password is refused on the login page", async () => {
    const other = await browser.newPage();
    await other.goto(`${server.base}/login`);
    await other.getByLabel("Account").fill(server.admin.account);
    await other.getByLabel("Password").fill("not-the-password");
    await other.getByRole("button", { name: "Log in" }).click();
    await other.locator(".form-error", { hasText: "wrong account or password" }).waitFor();
    assert.equal(new URL(other.url()).pathname, "/login");
    await other.close();
  });

  test("departments are created in the tree through the dialog", async () => {
    await page.getByRole("link", { name: "Departments" }).click();
    for (const [name, parent] of [["Sales", "E2E Trading"], ["Sales East", "Sales"], ["Archive", "E2E Trading"]]) {
      await page.getByRole("button", { name: "Add department" }).click();
      const dialog = page.locator("#new-dept-dialog");
      await dialog.getByLabel("Department name").fill(name);
      await dialog.getByLabel("Parent department").selectOption({ label: parent.padStart(parent.length + (parent === "Sales" ? 1 : 0), "\u2003") });
      await dialog.getByRole("button", { name: "Ok" }).click();
      await expectToast(page, "Department created");
      await page.locator(`tr[data-name="${name}"]`).waitFor();
    }
    const names = await page.locator("#dept-table .dept-name").allTextContents();
    assert.deepEqual(names.slice(0, 1), ["E2E Trading"]);
    assert.ok(names.indexOf("Sales East") > names.indexOf("Sales"), "a child follows its parent");
  });

  test("moving a department under its own child is refused with the reason", async () => {
    await page.locator('tr[data-name="Sales"]').getByRole("button", { name: "Edit" }).click();
    const dialog = page.locator("#edit-dept-dialog");
    await dialog.getByLabel("Parent department").selectOption({ label: "\u2003\u2003Sales East" });
    await dialog.getByRole("button", { name: "Ok" }).click();
    await dialog.locator(".form-error", { hasText: "cannot be moved under itself" }).waitFor();
    await dialog.getByRole("button", { name: "Cancel" }).click();
  });

  test("an empty department is deleted after confirmation", async () => {
    await page.locator('tr[data-name="Archive"]').getByRole("button", { name: "Delete" }).click();
    await page.locator("#confirm-dialog").getByRole("button", { name: "Ok" }).click();
    await expectToast(page, "Department deleted");
    await page.locator('tr[data-name="Archive"]').waitFor({ state: "detached" });
  });

  test("a staff account is created and granted permissions in the authorization dialog", async () => {
    await page.getByRole("link", { name: "Staff accounts" }).click();
    await page.getByRole("button", { name: "New account" }).click();
    const dialog = page.locator("#new-staff-dialog");
    await dialog.getByLabel("Account").fill("lead@e2e.test");
    await dialog.getByLabel("Name *").fill("Lena Lead");
    await dialog.getByLabel("Password").fill("lead-pass-1");
    await dialog.getByLabel("Department").selectOption({ label: "\u2003Sales" });
    await dialog.getByRole("button", { name: "Ok" }).click();
    await expectToast(page, "Account created");
    const row = page.locator('tr[data-account="lead@e2e.test"]');
    await row.waitFor();
    assert.match(await row.textContent(), /Lena Lead[\s\S]*Sales/);

    await row.getByRole("button", { name: "Authorization" }).click();
    const grants = page.locator("#grants-dialog");
    await grants.getByLabel("Staff accounts", { exact: true }).check();
    await grants.locator('[data-group="subdept"] [data-check-all]').check();
    assert.equal(await grants.getByLabel("List staff accounts of all sub-depts").isChecked(), true, "check all ticks the group");
    await grants.getByRole("button", { name: "Ok" }).click();
    await expectToast(page, "Authorization saved");
  });

  test("a duplicate account is refused in the dialog and nothing is added", async () => {
    const before = await page.locator("#staff-table tbody tr").count();
    await page.getByRole("button", { name: "New account" }).click();
    const dialog = page.locator("#new-staff-dialog");
    await dialog.getByLabel("Account").fill("LEAD@e2e.test");
    await dialog.getByLabel("Name *").fill("Copy");
    await dialog.getByLabel("Password").fill("copy-pass-1");
    await dialog.getByRole("button", { name: "Ok" }).click();
    await dialog.locator(".form-error", { hasText: "already exists" }).waitFor();
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await page.reload();
    assert.equal(await page.locator("#staff-table tbody tr").count(), before);
  });

  test("the new staff member sees only the menus their grants allow", async () => {
    await logout(page);
    await login(page, server.base, "lead@e2e.test", "lead-pass-1");
    const items = (await menu()).map((s) => s.trim());
    assert.deepEqual(items, ["Staff accounts"]);
    const accounts = await page.locator("#staff-table tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.account));
    assert.deepEqual(accounts, ["lead@e2e.test"], "only themself: no same-department grant, nobody below yet");
    const response = await page.goto(`${server.base}/departments`);
    assert.equal(response.status(), 403);
  });

  test("the staff member changes their own information and password", async () => {
    await page.goto(`${server.base}/staff`);
    await page.locator(".user-menu summary").click();
    await page.getByRole("button", { name: "Information" }).click();
    const info = page.locator("#profile-dialog");
    await info.getByLabel("Nickname").fill("Lena");
    await info.getByRole("button", { name: "Ok" }).click();
    await expectToast(page, "Information saved");

    await page.locator(".user-menu summary").click();
    await page.getByRole("button", { name: "Modify password" }).click();
    const pw = page.locator("#password-dialog");
    await pw.getByLabel("Current password").fill("wrong-password");
    await pw.getByLabel("New password").fill("lead-pass-2");
    await pw.getByLabel("Confirm password").fill("lead-pass-2");
    await pw.getByRole("button", { name: "Ok" }).click();
    await pw.locator(".form-error", { hasText: "is wrong" }).waitFor();
    await pw.getByLabel("Current password").fill("lead-pass-1");
    await pw.getByRole("button", { name: "Ok" }).click();
    await expectToast(page, /Password changed/);
    await logout(page);
    await login(page, server.base, "lead@e2e.test", "lead-pass-2");
  });

  test("the admin disables the account with the status switch and its session ends", async () => {
    const admin = await browser.newPage();
    await login(admin, server.base, server.admin.account, server.admin.password);
    await admin.getByRole("switch", { name: "Status lead@e2e.test" }).uncheck();
    await expectToast(admin, /disabled/);
    await page.reload();
    assert.equal(new URL(page.url()).pathname, "/login", "the disabled member is back at the login page");
    await admin.goto(`${server.base}/audit`);
    const actions = await admin.locator("table code").allTextContents();
    assert.ok(actions.includes("staff.status"), `audit shows the status change: ${actions}`);
    await admin.close();
  });
});
