// Rapport's page script: dialogs, forms that call the JSON API, toasts, local times.
// Pages are rendered on the server; every change goes through /api/v1 with the CSRF header.
"use strict";

const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

async function api(method, url, body, contentType) {
  const headers = { "X-CSRF-Token": csrf() };
  let payload;
  if (body instanceof Blob) {
    payload = body;
    headers["Content-Type"] = contentType || body.type || "application/octet-stream";
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers["Content-Type"] = "application/json";
  }
  const response = await fetch(url, { method, headers, body: payload, credentials: "same-origin" });
  let data = null;
  try { data = await response.json(); } catch (_) { /* empty body */ }
  return { ok: response.ok, status: response.status, data };
}

function toast(message, kind) {
  const box = document.getElementById("toast");
  if (!box || !message) return;
  box.textContent = message;
  box.className = "show " + (kind || "");
  clearTimeout(box._timer);
  box._timer = setTimeout(() => { box.className = ""; }, 4000);
}

// A toast that survives the reload after a successful change.
function toastAfterReload(message) {
  if (message) sessionStorage.setItem("rapport.toast", message);
  location.reload();
}

function errorMessage(result) {
  return result.data?.error?.message || `Request failed (${result.status})`;
}

// Reads a form into the JSON body the API expects.
function formBody(form) {
  const body = {};
  for (const el of form.elements) {
    if (!el.name || el.dataset.skip !== undefined || el.type === "file" || el.disabled) continue;
    if (el.dataset.omitEmpty !== undefined && el.value === "") continue;
    if (el.closest("[hidden]")) continue;
    if (el.dataset.component) {
      addComponent(body, el);
    } else if (el.dataset.replies !== undefined) {
      addReplies(body, el);
    } else if (el.dataset.hours !== undefined) {
      // Working hours, one weekday a line: "mon 09:00-13:00 14:00-18:00".
      body[el.name] = {};
      for (const line of el.value.split("\n").map((l) => l.trim()).filter(Boolean)) {
        const [day, ...spans] = line.split(/\s+/);
        body[el.name][day.toLowerCase()] = [...(body[el.name][day.toLowerCase()] || []), ...spans];
      }
    } else if (el.dataset.list !== undefined) {
      body[el.name] = body[el.name] || [];
      if (el.checked) body[el.name].push(el.dataset.type === "int" ? Number(el.value) : el.value);
    } else if (el.type === "checkbox") {
      body[el.name] = el.checked;
    } else if (el.dataset.lines !== undefined) {
      body[el.name] = el.value.split("\n").map((line) => line.trim()).filter(Boolean);
    } else if (el.dataset.type === "int") {
      if (el.value !== "") body[el.name] = Number.parseInt(el.value, 10);
    } else if (el.dataset.type === "bool") {
      body[el.name] = el.value === "true";
    } else if (el.dataset.emptyNull !== undefined) {
      body[el.name] = el.value === "" ? null : el.value;
    } else {
      body[el.name] = el.value;
    }
  }
  // `outer.inner` names build a nested object ({"filters": {"kind": ...}}).
  for (const key of Object.keys(body)) {
    if (!key.includes(".")) continue;
    const [outer, inner] = key.split(".", 2);
    body[outer] = body[outer] || {};
    body[outer][inner] = body[key];
    delete body[key];
  }
  return body;
}

// A template's text parts become Meta's components; `KEEP` holds the parts the form does not
// edit (buttons, media headers) as JSON, passed through unchanged.
function addComponent(body, el) {
  body.components = body.components || [];
  const text = el.value.trim();
  if (el.dataset.component === "KEEP") {
    body.components.push(...JSON.parse(el.value || "[]"));
  } else if (text) {
    const component = { type: el.dataset.component, text };
    if (el.dataset.component === "HEADER") component.format = "TEXT";
    body.components.push(component);
  }
}

// An auto reply rule's contents: each paragraph of the text is one text message, followed by
// the contents the form does not edit (files, templates), kept as JSON.
function addReplies(body, el) {
  const texts = el.value.split(/\n\s*\n/).map((t) => t.trim()).filter(Boolean);
  const kept = JSON.parse(el.form.elements.namedItem("replies_keep")?.value || "[]");
  body.replies = [...texts.map((text) => ({ type: "text", text })), ...kept];
}

function showFormError(form, result) {
  const box = form.querySelector(".form-error");
  form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  const field = result.data?.error?.field;
  // An extended field's input is named `fields.<key>`.
  const input = field && (form.elements.namedItem(field) || form.elements.namedItem(`fields.${field}`));
  if (input && input.setAttribute) {
    input.setAttribute("aria-invalid", "true");
    input.focus();
  }
  if (box) {
    box.textContent = errorMessage(result);
    // A duplicate customer: link to the one that exists.
    const link = result.data?.error?.link;
    if (link) {
      const a = document.createElement("a");
      a.href = link;
      a.textContent = ` → #${result.data.error.existing_id}`;
      box.append(a);
    }
  } else toast(errorMessage(result), "error");
}

// The chat composer: text, or up to 5 attachments (uploaded first, the text as the first caption).
async function sendComposed(form) {
  const files = [...(form.elements.namedItem("files")?.files || [])];
  const text = form.elements.namedItem("text").value.trim();
  // Quoting a message (reply-to) goes with the text, or with the first attachment.
  const replyTo = form.elements.namedItem("reply_to")?.value || undefined;
  if (files.length > 5) return showFormError(form, { data: { error: { message: form.dataset.tooMany } } });
  if (!files.length) return api("POST", form.dataset.api, { type: "text", text, reply_to: replyTo });
  let last;
  for (const [i, file] of files.entries()) {
    const uploaded = await api("POST", `/api/v1/uploads?filename=${encodeURIComponent(file.name)}`, file, file.type);
    if (!uploaded.ok) return uploaded;
    const message = { type: uploaded.data.kind, upload_id: uploaded.data.id };
    if (i === 0 && text && !["audio", "sticker"].includes(uploaded.data.kind)) message.caption = text;
    if (i === 0 && replyTo && uploaded.data.kind !== "sticker") message.reply_to = replyTo;
    last = await api("POST", form.dataset.api, message);
    if (!last.ok) return last;
  }
  return last;
}

async function submitForm(event) {
  const form = event.target;
  if (!form.dataset.api) return;
  event.preventDefault();
  if (form.dataset.compose !== undefined) {
    const result = await sendComposed(form);
    if (!result) return;
    return result.ok ? toastAfterReload(form.dataset.success) : showFormError(form, result);
  }
  const button = form.querySelector('[type="submit"]');
  if (button) button.disabled = true;
  try {
    let body = formBody(form);
    // A template form sends {"type":"template","template":{name, language, parameters}}.
    if (form.dataset.template !== undefined) {
      const parameters = (body.parameters || "").split("\n").map((p) => p.trim()).filter(Boolean);
      const [name, language] = (body.template || "").split("|");
      body = { type: "template", template: { name, language, parameters } };
    }
    const result = await api(form.dataset.method || "POST", form.dataset.api, body);
    if (!result.ok) return showFormError(form, result);
    if (form.dataset.redirect) return location.assign(form.dataset.redirect);
    if (form.dataset.openChat !== undefined) return location.assign(`/chats?c=${result.data.id}`);
    form.closest("dialog")?.close();
    toastAfterReload(form.dataset.success);
  } finally {
    if (button) button.disabled = false;
  }
}

function syncCheckAll(form) {
  form.querySelectorAll("[data-check-all]").forEach((all) => {
    const boxes = [...form.querySelectorAll(`[data-in-group="${all.dataset.checkAll}"]`)];
    all.checked = boxes.length > 0 && boxes.every((b) => b.checked);
    all.indeterminate = !all.checked && boxes.some((b) => b.checked);
  });
}

// Opens a dialog, pointing its form at the row's URL and filling it with the row's values.
function openDialog(trigger) {
  const dialog = document.getElementById(trigger.dataset.dialog);
  if (!dialog) return;
  const form = dialog.querySelector("form");
  if (form) {
    form.reset();
    form.querySelector(".form-error")?.replaceChildren();
    if (trigger.dataset.action) form.dataset.api = trigger.dataset.action;
    if (trigger.dataset.method) form.dataset.method = trigger.dataset.method;
    // Hidden inputs keep a value set by script across reset(); give them their start value.
    form.querySelectorAll("input[type=hidden][data-reset]").forEach((el) => { el.value = el.dataset.reset; });
    const slot = form.querySelector("[data-title-slot]");
    if (slot) slot.textContent = trigger.dataset.title || "";
    if (trigger.dataset.fill) {
      const values = JSON.parse(trigger.dataset.fill);
      for (const [name, value] of Object.entries(values)) {
        const boxes = form.querySelectorAll(`input[type=checkbox][name="${name}"]`);
        if (boxes.length) {
          // A list of checkboxes takes an array of values; a single one, a boolean.
          const chosen = Array.isArray(value) ? value.map(String) : null;
          boxes.forEach((box) => { box.checked = chosen ? chosen.includes(box.value) : Boolean(value); });
          continue;
        }
        const el = form.elements.namedItem(name);
        if (el && "value" in el) el.value = Array.isArray(value) ? value.join("\n") : value ?? "";
      }
    }
    form.querySelectorAll("[data-hide-for-root]").forEach((el) => { el.hidden = trigger.dataset.root !== undefined; });
    if (trigger.dataset.fillGrants) {
      const held = new Set(JSON.parse(trigger.dataset.fillGrants));
      form.querySelectorAll('input[name="grants"]').forEach((box) => { box.checked = held.has(box.value); });
    }
    syncCheckAll(form);
  }
  if (trigger.dataset.loadMe !== undefined) loadMe(form);
  trigger.closest("details")?.removeAttribute("open");
  dialog.showModal();
}

// Reply-to: the composer quotes the chosen message until it is sent or the quote is dropped.
function startReply(wamid, quote) {
  const form = document.querySelector("form[data-compose]");
  if (!form) return;
  form.elements.namedItem("reply_to").value = wamid;
  const bar = form.querySelector("[data-replying]");
  bar.querySelector("[data-replying-quote]").textContent = quote.length > 80 ? `${quote.slice(0, 80)}…` : quote;
  bar.hidden = !wamid;
  if (wamid) form.elements.namedItem("text").focus();
}

async function loadMe(form) {
  const result = await api("GET", "/api/v1/me");
  if (!result.ok) return;
  for (const name of ["name", "nickname", "memo"]) {
    const el = form.elements.namedItem(name);
    if (el) el.value = result.data[name] ?? "";
  }
}

function confirmThen(text) {
  const dialog = document.getElementById("confirm-dialog");
  if (!dialog) return Promise.resolve(window.confirm(text));
  dialog.querySelector(".confirm-text").textContent = text;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
  });
}

document.addEventListener("submit", submitForm);

document.addEventListener("click", async (event) => {
  const target = event.target.closest("button, [data-dialog]");
  if (!target) return;
  if (target.dataset.dialog) return openDialog(target);
  if (target.dataset.close !== undefined) {
    target.closest("dialog")?.close();
    if (target.dataset.reloadOnClose !== undefined && target.closest("form")?.dataset.importId) location.reload();
    return;
  }
  if (target.dataset.addCondition !== undefined) return addCondition(target.closest("#filter-builder"));
  if (target.dataset.removeCondition !== undefined) return target.closest(".condition")?.remove();
  if (target.dataset.applyFilters !== undefined) return applyFilters(target.closest("#filter-builder"));
  if (target.dataset.moveColumn) {
    const item = target.closest("li");
    if (target.dataset.moveColumn === "up" && item.previousElementSibling) item.previousElementSibling.before(item);
    if (target.dataset.moveColumn === "down" && item.nextElementSibling) item.nextElementSibling.after(item);
    return;
  }
  if (target.dataset.importUpload !== undefined) return uploadImport(target.closest("form"));
  if (target.dataset.logout !== undefined) {
    await api("POST", "/api/v1/auth/logout");
    return location.assign("/login");
  }
  if (target.dataset.reply) return startReply(target.dataset.reply, target.dataset.quote);
  if (target.dataset.cancelReply !== undefined) return startReply("", "");
  if (target.dataset.react) {
    const body = { type: "reaction", message_id: target.dataset.react, emoji: target.dataset.emoji };
    const result = await api("POST", target.dataset.api, body);
    return result.ok ? toast(document.querySelector("[data-reacted]")?.dataset.reacted, "success") : toast(errorMessage(result), "error");
  }
  if (target.dataset.patch) {
    const body = JSON.parse(target.dataset.body || "{}");
    if (target.dataset.snoozeHours) {
      body.snoozed_until = new Date(Date.now() + Number(target.dataset.snoozeHours) * 3600 * 1000).toISOString();
    }
    const result = await api("PATCH", target.dataset.patch, body);
    return result.ok ? location.reload() : toast(errorMessage(result), "error");
  }
  if (target.dataset.post) {
    const result = await api("POST", target.dataset.post, JSON.parse(target.dataset.body || "{}"));
    return result.ok ? toastAfterReload(target.dataset.success) : toast(errorMessage(result), "error");
  }
  if (target.dataset.delete) {
    if (!(await confirmThen(target.dataset.confirm))) return;
    const result = await api("DELETE", target.dataset.delete);
    if (result.ok && target.dataset.redirect) {
      sessionStorage.setItem("rapport.toast", target.dataset.success);
      return location.assign(target.dataset.redirect);
    }
    return result.ok ? toastAfterReload(target.dataset.success) : toast(errorMessage(result), "error");
  }
});

document.addEventListener("change", async (event) => {
  const el = event.target;
  if (el.dataset.checkAll) {
    el.form.querySelectorAll(`[data-in-group="${el.dataset.checkAll}"]`).forEach((b) => { b.checked = el.checked; });
  } else if (el.dataset.inGroup) {
    syncCheckAll(el.form);
  } else if (el.dataset.assign) {
    const result = await api("PUT", el.dataset.assign, { staff_id: el.value === "" ? null : Number(el.value) });
    if (!result.ok) return toast(errorMessage(result), "error");
    location.reload();
  } else if (el.dataset.insertText !== undefined && el.value) {
    // A predefined text, filled for this chat's customer, goes into the composer to be read
    // (and edited) before sending.
    const result = await api("GET", `/api/v1/texts/${el.value}/preview?conversation_id=${el.dataset.insertText}`);
    el.value = "";
    if (!result.ok) return toast(errorMessage(result), "error");
    const box = el.form.elements.namedItem("text");
    box.value = box.value ? `${box.value} ${result.data.text}` : result.data.text;
    box.focus();
  } else if (el.dataset.toggleUrl) {
    const result = await api("PATCH", el.dataset.toggleUrl, { [el.dataset.toggleField]: el.checked });
    if (!result.ok) {
      el.checked = !el.checked;
      return toast(errorMessage(result), "error");
    }
    toastAfterReload(el.checked ? el.dataset.on : el.dataset.off);
  } else if (el.dataset.statusUrl) {
    const status = el.checked ? "enabled" : "disabled";
    const result = await api("PATCH", el.dataset.statusUrl, { status });
    if (!result.ok) {
      el.checked = !el.checked;
      return toast(errorMessage(result), "error");
    }
    toastAfterReload(el.checked ? el.dataset.on : el.dataset.off);
  } else if (el.dataset.avatarUpload !== undefined && el.files?.[0]) {
    const result = await api("PUT", "/api/v1/me/avatar", el.files[0]);
    const form = el.form;
    if (!result.ok) return showFormError(form, result);
    toast(form.dataset.success);
  }
});

document.addEventListener("DOMContentLoaded", () => {
  const pending = sessionStorage.getItem("rapport.toast");
  if (pending) {
    sessionStorage.removeItem("rapport.toast");
    toast(pending, "success");
  }
  document.getElementById("bubbles")?.lastElementChild?.scrollIntoView();
  formatTimes(document);
  startLive();
  initFilterBuilder();
  // A control whose change applies at once (no inline handlers: the CSP forbids them).
  for (const control of document.querySelectorAll("[data-autosubmit]")) {
    control.addEventListener("change", () => control.form.submit());
  }
});

function formatTimes(root) {
  const format = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  root.querySelectorAll("time[datetime]").forEach((el) => {
    const date = new Date(el.getAttribute("datetime"));
    if (!Number.isNaN(date.getTime())) el.textContent = format.format(date);
  });
}

// One WebSocket per tab (INBOX-3) feeds the bell on every page and, on the chats page, the
// live inbox: when a chat in view changes, the page's own HTML is fetched again and the chat
// list and the open conversation are swapped in place (the composer keeps what is being
// typed). After a reconnect the same refresh catches up on whatever was missed meanwhile.
function startLive() {
  const bell = document.querySelector("[data-bell]");
  const live = document.querySelector("[data-live]");
  if (!bell && !live) return;
  const open = Number(live?.dataset.open || 0);
  // Opening a chat reads it, as on a phone (the server leaves no trace for quality control);
  // so does every refresh that brings the open chat's new messages in.
  const markRead = () => { if (open) api("POST", `/api/v1/conversations/${open}/read`); };
  markRead();
  let socket;
  let retry = 1000;
  let timer;
  let typingShown;
  let lastTyping = 0;
  // The server's HTML of each swapped part as last put in (times are reformatted in place).
  const rendered = new Map();
  const refresh = () => {
    clearTimeout(timer);
    timer = setTimeout(swap, 100);
  };
  async function swap() {
    if (!document.querySelector("[data-live]")) return;
    const response = await fetch(location.href, { headers: { Accept: "text/html" } });
    if (!response.ok) return;
    const next = new DOMParser().parseFromString(await response.text(), "text/html").querySelector("[data-live]");
    if (!next) return;
    const here = document.querySelector("[data-live]");
    const bubbles = document.getElementById("bubbles");
    const atBottom = !bubbles || bubbles.scrollHeight - bubbles.scrollTop - bubbles.clientHeight < 40;
    const parts = [".chat-list", "#bubbles", ".chat-head", ".contact-card"].filter((part) => next.querySelector(part));
    if (parts.length > 2 && parts.every((part) => here.querySelector(part))) {
      // Only what changed is replaced, so a control being used (the assignee list) stays put.
      for (const part of parts) {
        const fresh = next.querySelector(part);
        if (rendered.get(part) === fresh.outerHTML) continue;
        rendered.set(part, fresh.outerHTML);
        if (part === "#bubbles") {
          mergeBubbles(here.querySelector(part), fresh);
          markRead();
        } else {
          here.querySelector(part).replaceWith(fresh);
        }
      }
    } else {
      next.dataset.connected = here.dataset.connected || "";
      here.replaceWith(next);
    }
    formatTimes(document.querySelector("[data-live]"));
    if (atBottom) document.getElementById("bubbles")?.lastElementChild?.scrollIntoView();
  }
  function showTyping(name) {
    const line = document.getElementById("typing");
    if (!line) return;
    line.textContent = `${name} ${line.dataset.text}`;
    line.hidden = false;
    clearTimeout(typingShown);
    typingShown = setTimeout(() => { line.hidden = true; }, 4000);
  }
  function connect() {
    socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/v1/live`);
    socket.onopen = () => {
      // Catch up on whatever changed between the page being rendered (or the last
      // connection dropping) and this connection opening.
      refresh();
      if (retry > 1000) loadBell(bell);
      retry = 1000;
      document.querySelector("[data-live]")?.setAttribute("data-connected", "true");
    };
    socket.onmessage = (message) => {
      const event = JSON.parse(message.data);
      if (event.type === "typing") {
        if (event.conversation_id === open) showTyping(event.name);
      } else if (event.type === "notification") {
        loadBell(bell, event);
      } else if (event.type === "resync") {
        refresh();
        loadBell(bell);
      } else {
        refresh();
      }
    };
    socket.onclose = () => {
      document.querySelector("[data-live]")?.removeAttribute("data-connected");
      retry = Math.min(retry * 2, 30000);
      setTimeout(connect, retry);
    };
  }
  document.addEventListener("input", (event) => {
    if (!open || !event.target.closest("form[data-compose]") || Date.now() - lastTyping < 3000) return;
    lastTyping = Date.now();
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "typing", conversation_id: open }));
  });
  loadBell(bell);
  connect();
}

// The open chat is never swapped whole: the reader keeps their scroll position, the history
// loaded by scrolling up and the message under the pointer. Only messages that changed (ticks,
// reactions) are replaced, new ones appended.
function mergeBubbles(shown, fresh) {
  formatTimes(fresh);
  for (const bubble of fresh.querySelectorAll(".bubble[id]")) {
    const old = shown.querySelector(`#${bubble.id}`);
    if (!old) shown.append(bubble);
    else if (old.outerHTML !== bubble.outerHTML) old.replaceWith(bubble);
  }
}

// Infinite scroll upward (INBOX-2): near the top of the chat, the older messages are fetched
// and put above, keeping what the reader looks at in place.
async function loadOlder(bubbles) {
  const link = bubbles.querySelector("a.older");
  if (!link || bubbles.dataset.loading) return;
  bubbles.dataset.loading = "true";
  try {
    const response = await fetch(link.href, { headers: { Accept: "text/html" } });
    if (!response.ok) return;
    const older = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("bubbles");
    if (!older) return;
    const before = bubbles.scrollHeight;
    link.remove();
    bubbles.prepend(...older.children);
    formatTimes(bubbles);
    bubbles.scrollTop += bubbles.scrollHeight - before;
  } finally {
    delete bubbles.dataset.loading;
  }
}

document.addEventListener("scroll", (event) => {
  if (event.target.id === "bubbles" && event.target.scrollTop < 40) loadOlder(event.target);
}, true);

// The bell (NOTIF-1): unread notifications, one per chat, each with "remind me" and dismiss.
// A new one also shows as a desktop notification once the user allowed them.
async function loadBell(bell, event) {
  if (!bell) return;
  const result = await api("GET", "/api/v1/notifications");
  if (!result.ok) return;
  const items = result.data.items;
  const count = bell.querySelector("[data-bell-count]");
  count.textContent = String(items.length);
  count.hidden = items.length === 0;
  const list = bell.querySelector("[data-bell-list]");
  list.replaceChildren();
  if (!items.length) {
    const empty = document.createElement("li");
    empty.className = "muted";
    empty.textContent = bell.dataset.empty;
    list.append(empty);
  }
  const labels = { new_customer: bell.dataset.newCustomer, assigned: bell.dataset.assigned, reminder: bell.dataset.reminder, message: bell.dataset.message };
  for (const item of items) {
    const li = document.createElement("li");
    li.dataset.notification = item.id;
    const link = document.createElement("a");
    link.href = `/chats?c=${item.conversation_id}`;
    const title = document.createElement("strong");
    title.textContent = `${item.chat_name} · ${labels[item.kind] || item.kind}${item.count > 1 ? ` (${item.count})` : ""}`;
    const preview = document.createElement("span");
    preview.className = "muted";
    preview.textContent = item.preview;
    link.append(title, preview);
    const actions = document.createElement("div");
    actions.className = "row-actions";
    for (const [after, label] of [["15m", bell.dataset.in15], ["1h", bell.dataset.in60], ["tomorrow", bell.dataset.tomorrow]]) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = label;
      button.addEventListener("click", async () => {
        await api("POST", `/api/v1/notifications/${item.id}/remind`, { after });
        loadBell(bell);
      });
      actions.append(button);
    }
    const dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.textContent = bell.dataset.dismiss;
    dismiss.addEventListener("click", async () => {
      await api("POST", `/api/v1/notifications/${item.id}/dismiss`, {});
      loadBell(bell);
    });
    actions.append(dismiss);
    li.append(link, actions);
    list.append(li);
  }
  const allow = bell.querySelector("[data-allow-desktop]");
  if ("Notification" in window) {
    allow.hidden = Notification.permission !== "default";
    allow.onclick = () => Notification.requestPermission().then(() => { allow.hidden = true; });
    const fresh = event && items.find((i) => i.conversation_id === event.conversation_id);
    if (fresh && Notification.permission === "granted" && document.hidden) {
      const note = new Notification(fresh.chat_name, { body: fresh.preview, tag: `chat-${fresh.conversation_id}` });
      note.onclick = () => { window.focus(); location.assign(`/chats?c=${fresh.conversation_id}`); };
    }
  }
}

// ---- Customers (CONT-2..4) ----

// The filter builder: rows of column / operator / value, sent as the list's `filter`
// parameter, a JSON array the server checks against the field catalogue.
function initFilterBuilder() {
  const builder = document.getElementById("filter-builder");
  if (!builder) return;
  let conditions = [];
  try { conditions = JSON.parse(builder.dataset.conditions || "[]"); } catch (_) { /* shown as an error by the server */ }
  for (const c of conditions) addCondition(builder, c);
  const hidden = document.querySelector("[data-filter-value]");
  if (hidden && conditions.length) hidden.value = JSON.stringify(conditions);
}

function addCondition(builder, condition) {
  const catalogue = JSON.parse(builder.dataset.catalogue);
  const row = document.createElement("div");
  row.className = "condition";
  const field = document.createElement("select");
  field.name = "field";
  field.setAttribute("aria-label", "field");
  for (const column of catalogue) field.add(new Option(column.label, column.key));
  const op = document.createElement("select");
  op.name = "op";
  op.setAttribute("aria-label", "operator");
  const valueSlot = document.createElement("span");
  const remove = document.createElement("button");
  remove.type = "button";
  remove.dataset.removeCondition = "";
  remove.textContent = builder.dataset.remove;
  row.append(field, op, valueSlot, remove);
  builder.querySelector("[data-conditions-list]").append(row);
  const column = () => catalogue.find((c) => c.key === field.value);
  const fillOps = () => {
    op.replaceChildren(...column().ops.map((o) => new Option(o.label, o.op)));
  };
  const fillValue = (value) => {
    const c = column();
    let input;
    if (["empty", "not_empty"].includes(op.value)) {
      input = null;
    } else if (c.kind === "yes_no") {
      input = document.createElement("select");
      input.add(new Option(builder.dataset.yes, "yes"));
      input.add(new Option(builder.dataset.no, "no"));
    } else if (c.choices.length && ["eq", "ne"].includes(op.value)) {
      input = document.createElement("select");
      for (const choice of c.choices) input.add(new Option(choice.label, String(choice.value)));
    } else if (c.choices.length && op.value === "any_of") {
      input = document.createElement("select");
      input.multiple = true;
      for (const choice of c.choices) input.add(new Option(choice.label, String(choice.value)));
    } else {
      input = document.createElement("input");
      if (c.kind === "date" && op.value !== "between") input.type = "date";
      if (c.kind === "number") input.inputMode = "decimal";
    }
    valueSlot.replaceChildren(...(input ? [input] : []));
    if (!input) return;
    input.name = "value";
    input.setAttribute("aria-label", builder.dataset.value);
    if (value === undefined || value === null) return;
    if (input.multiple) {
      const chosen = (Array.isArray(value) ? value : [value]).map(String);
      for (const option of input.options) option.selected = chosen.includes(option.value);
    } else if (typeof value === "boolean") {
      input.value = value ? "yes" : "no";
    } else {
      input.value = Array.isArray(value) ? value.join("|") : String(value);
    }
  };
  field.addEventListener("change", () => { fillOps(); fillValue(); });
  op.addEventListener("change", () => fillValue());
  if (condition) field.value = condition.field;
  fillOps();
  if (condition) op.value = condition.op;
  fillValue(condition?.value);
}

// The builder's rows as the API's conditions.
function readConditions(builder) {
  const catalogue = JSON.parse(builder.dataset.catalogue);
  return [...builder.querySelectorAll(".condition")].map((row) => {
    const field = row.querySelector('[name="field"]').value;
    const op = row.querySelector('[name="op"]').value;
    const input = row.querySelector('[name="value"]');
    const ids = ["responsible_staff_id", "department_id"].includes(field);
    const typed = (v) => (ids ? Number(v) : v);
    let value = null;
    if (input?.multiple) value = [...input.selectedOptions].map((o) => typed(o.value));
    else if (input && op === "between") value = input.value.split("|").map((v) => v.trim());
    else if (input && op === "any_of") value = input.value.split("|").map((v) => typed(v.trim()));
    else if (input) value = typed(input.value);
    return catalogue.some((c) => c.key === field) ? { field, op, value } : null;
  }).filter(Boolean);
}

function applyFilters(builder) {
  const form = document.getElementById("contacts-search");
  const conditions = readConditions(builder);
  const hidden = form.querySelector("[data-filter-value]");
  hidden.value = conditions.length ? JSON.stringify(conditions) : "";
  hidden.disabled = !conditions.length;
  form.submit();
}

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (form.id === "contacts-search") {
    // An empty filter stays out of the address.
    const hidden = form.querySelector("[data-filter-value]");
    if (hidden && !hidden.value) hidden.disabled = true;
    return;
  }
  if (form.dataset.columnsForm !== undefined) {
    event.preventDefault();
    const columns = [...form.querySelectorAll('input[name="columns"]')].filter((b) => b.checked).map((b) => b.value);
    const pageSize = Number(form.elements.namedItem("page_size").value);
    const result = await api("PUT", "/api/v1/contacts/columns", { columns, page_size: pageSize });
    if (!result.ok) return showFormError(form, result);
    const url = new URL(location.href);
    url.searchParams.delete("cursor");
    url.searchParams.delete("limit");
    sessionStorage.setItem("rapport.toast", form.dataset.success);
    return location.assign(url);
  }
  if (form.dataset.importForm !== undefined) {
    event.preventDefault();
    return startImport(form);
  }
});

// Import step 1: the file goes up; its columns come back with the suggested fields.
async function uploadImport(form) {
  const file = form.elements.namedItem("file").files[0];
  form.querySelector(".form-error").textContent = "";
  if (!file) return;
  const result = await api("POST", `/api/v1/imports?filename=${encodeURIComponent(file.name)}`, file, "application/octet-stream");
  if (!result.ok) return showFormError(form, result);
  form.dataset.importId = result.data.id;
  const body = form.querySelector("[data-import-mapping]");
  body.replaceChildren();
  result.data.headers.forEach((header, i) => {
    const tr = document.createElement("tr");
    const name = document.createElement("td");
    name.textContent = header;
    const choose = document.createElement("select");
    choose.dataset.column = i;
    choose.setAttribute("aria-label", header);
    choose.add(new Option(form.dataset.skipLabel, ""));
    for (const target of result.data.targets) choose.add(new Option(target.label + (target.required ? " *" : ""), target.key));
    choose.value = result.data.mapping[i] || "";
    const cell = document.createElement("td");
    cell.append(choose);
    const sample = document.createElement("td");
    sample.className = "preview";
    sample.textContent = result.data.preview.map((row) => row[i] ?? "").filter(Boolean).slice(0, 3).join(" · ");
    tr.append(name, cell, sample);
    body.append(tr);
  });
  form.querySelector('[data-import-step="mapping"]').hidden = false;
}

// Import step 2: start with the mapping and the staff, then follow the progress.
async function startImport(form) {
  const id = form.dataset.importId;
  if (!id) return;
  const mapping = [...form.querySelectorAll("[data-column]")].map((s) => s.value || null);
  const staffIds = [...form.querySelectorAll('input[name="import_staff"]:checked')].map((b) => Number(b.value));
  const source = form.elements.namedItem("import_source").value;
  const result = await api("POST", `/api/v1/imports/${id}/start`, { mapping, staff_ids: staffIds, source });
  if (!result.ok) return showFormError(form, result);
  form.querySelector('[data-import-step="mapping"]').hidden = true;
  form.querySelector('[data-import-step="progress"]').hidden = false;
  followImport(form, id);
}

async function followImport(form, id) {
  const result = await api("GET", `/api/v1/imports/${id}`);
  if (!result.ok) return showFormError(form, result);
  const i = result.data;
  const bar = form.querySelector("[data-import-bar]");
  bar.max = Math.max(i.total_rows, 1);
  bar.value = i.processed_rows;
  const status = form.querySelector("[data-import-status]");
  status.textContent = form.dataset.progress
    .replace("{imported}", i.imported).replace("{rejected}", i.rejected).replace("{total}", i.total_rows);
  if (!["done", "failed"].includes(i.status)) return setTimeout(() => followImport(form, id), 700);
  status.textContent = `${i.status === "done" ? form.dataset.done : form.dataset.failed}: ${status.textContent}${i.error ? ` — ${i.error}` : ""}`;
  status.dataset.finished = i.status;
  if (!i.rejected) return;
  const rows = await api("GET", `/api/v1/imports/${id}/rejected-rows`);
  const box = form.querySelector("[data-import-rejections]");
  const tbody = box.querySelector("tbody");
  tbody.replaceChildren();
  for (const r of rows.data || []) {
    const tr = document.createElement("tr");
    for (const text of [r.row, r.column, r.reason]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    tbody.append(tr);
  }
  box.querySelector("[data-import-download]").href = `/api/v1/imports/${id}/rejections`;
  box.hidden = false;
}
