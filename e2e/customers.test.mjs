// Customers in the browser: the company reads local numbers as Vietnamese, an extended field
// is made on Extend fields, customers are added with it, the list is filtered by it, columns
// are chosen (and remembered), a small CSV is imported with its error report, and the
// filtered list is exported and read back.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { expectToast, login, startBrowser, startServer } from "./harness.mjs";

describe("customers", () => {
  let server, browser, page;

  before(async () => {
    server = await startServer();
    browser = await startBrowser();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
    await login(page, server.base, server.admin.account, server.admin.password);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test("local numbers are read in the company's country", async () => {
    await page.getByRole("link", { name: "Settings", exact: true }).click();
    await page.getByLabel("Default country for phone numbers").fill("vn");
    await page.getByRole("button", { name: "Ok" }).click();
    await expectToast(page, "Settings saved");
    assert.equal(await page.getByLabel("Default country for phone numbers").inputValue(), "VN");
  });

  test("a field made on Extend fields is filled, filtered by and shown as a column", async () => {
    await page.getByRole("link", { name: "Extend fields" }).click();
    await page.getByText("No extended fields yet").waitFor();
    await page.getByRole("button", { name: "Add field" }).click();
    const dialog = page.locator("#field-dialog");
    await dialog.getByLabel("Name *").fill("City");
    await dialog.getByLabel("Key *").fill("city");
    await dialog.getByLabel("Type *").selectOption("single_choice");
    await dialog.getByLabel("Choices (one a line)").fill("Hà Nội\nHồ Chí Minh\nĐà Nẵng");
    await dialog.getByRole("button", { name: "Ok" }).click();
    await expectToast(page, "Field saved");
    assert.match(await page.locator("#fields-table tbody tr").innerText(), /City[\s\S]*city[\s\S]*Single choice[\s\S]*Hà Nội, Hồ Chí Minh, Đà Nẵng/);

    await page.getByRole("link", { name: "Customers", exact: true }).click();
    await page.getByText("No customers match").waitFor();
    for (const [name, phone, city] of [["Nguyễn Văn An", "0912 345 678", "Hà Nội"], ["Trần Thị Bình", "0987 654 321", "Đà Nẵng"]]) {
      await page.getByRole("button", { name: "Add customer" }).click();
      const form = page.locator("#contact-dialog");
      await form.getByLabel("Name *").fill(name);
      await form.getByLabel("Phone *").fill(phone);
      await form.getByLabel("City").selectOption(city);
      await form.getByRole("button", { name: "Ok" }).click();
      await page.locator("#contacts-table tbody", { hasText: name }).waitFor();
    }
    const table = page.locator("#contacts-table tbody");
    assert.match(await table.innerText(), /Nguyễn Văn An\s+\+84912345678/);
    assert.match(await table.innerText(), /Trần Thị Bình\s+\+84987654321/);

    // The same number typed another way is refused, pointing at the customer who has it.
    await page.getByRole("button", { name: "Add customer" }).click();
    const form = page.locator("#contact-dialog");
    await form.getByLabel("Name *").fill("An again");
    await form.getByLabel("Phone *").fill("+84 912-345-678");
    await form.getByRole("button", { name: "Ok" }).click();
    await form.locator(".form-error", { hasText: "exists already" }).waitFor();
    assert.equal(await form.locator(".form-error a").getAttribute("href"), "/contacts/1");
    await form.getByRole("button", { name: "Cancel" }).click();

    // Filter: City equals Hà Nội.
    await page.locator("#filter-builder summary").click();
    await page.getByRole("button", { name: "Add condition" }).click();
    const condition = page.locator(".condition").first();
    await condition.getByLabel("field").selectOption("city");
    await condition.getByLabel("operator").selectOption("eq");
    await condition.getByLabel("Value").selectOption("Hà Nội");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.waitForURL(/filter=/);
    assert.equal(await table.locator("tr").count(), 1);
    assert.match(await table.innerText(), /Nguyễn Văn An/);

    // Columns: show City, hide Source; the choice survives a reload.
    await page.getByRole("button", { name: "Columns" }).click();
    const chooser = page.locator("#columns-dialog");
    await chooser.getByLabel("City").check();
    await chooser.getByLabel("Source").uncheck();
    await chooser.getByRole("button", { name: "Ok" }).click();
    await expectToast(page, "Columns saved");
    await page.reload();
    const headers = (await page.locator("#contacts-table thead th").allTextContents()).map((h) => h.trim());
    assert.deepEqual(headers, ["#", "Name", "Phone", "Responsible", "Created", "City", "Actions"]);
    assert.match(await table.innerText(), /Hà Nội/);

    // Export exactly what is listed, and read the file.
    const [download] = await Promise.all([page.waitForEvent("download"), page.locator('[data-export="csv"]').click()]);
    const csv = readFileSync(await download.path(), "utf8").replace(/^\uFEFF/, "");
    // Every cell comes quoted (none of these holds a quote or a comma).
    const lines = csv.trim().split(/\r?\n/).map((line) => line.replaceAll('"', ""));
    assert.equal(lines.length, 2, csv);
    assert.match(lines[0], /^Name,Phone,Responsible,Created,City$/);
    assert.match(lines[1], /^Nguyễn Văn An,\+84912345678,Administrator,\d{4}-\d\d-\d\dT[^,]+,Hà Nội$/);
  });

  test("a small CSV imports its good rows and reports the bad ones", async () => {
    await page.goto(`${server.base}/contacts`);
    await page.getByRole("button", { name: "Import" }).click();
    const dialog = page.locator("#import-dialog");
    const csv = "\uFEFFHọ tên;Số điện thoại;City\nLê Văn Cường;0903 111 222;Hồ Chí Minh\nBad Phone;12;Hà Nội\nUnknown City;0903 333 444;Huế\n";
    await dialog.getByLabel("CSV or XLSX file").setInputFiles({ name: "khach-hang.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    await dialog.getByRole("button", { name: "Upload" }).click();
    // Columns matched by their (Vietnamese) headers.
    assert.equal(await dialog.getByLabel("Họ tên").inputValue(), "name");
    assert.equal(await dialog.getByLabel("Số điện thoại").inputValue(), "phone");
    assert.equal(await dialog.getByLabel("City", { exact: true }).inputValue(), "city");
    await dialog.getByRole("button", { name: "Start import" }).click();
    await dialog.locator('[data-import-status][data-finished="done"]').waitFor();
    assert.match(await dialog.locator("[data-import-status]").innerText(), /Imported 1, rejected 2 of 3 rows/);
    const report = await dialog.locator("[data-import-rejections] tbody").innerText();
    assert.match(report, /3\s+Số điện thoại\s+.*12/);
    assert.match(report, /4\s+City\s+.*Huế.*not one of the choices/);
    assert.equal(await dialog.locator("[data-import-download]").getAttribute("href"), "/api/v1/imports/1/rejections");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await page.locator("#contacts-table tbody", { hasText: "Lê Văn Cường" }).waitFor();
    assert.match(await page.locator("#contacts-table tbody").innerText(), /Lê Văn Cường\s+\+84903111222/);
  });
});
