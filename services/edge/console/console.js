// Sluice console: a page over the admin API (/api/v1) and nothing else.
// The admin key is entered once and kept in sessionStorage (this tab only,
// gone when it closes); it travels in the Authorization header, never in a
// URL. Every value from the API reaches the page as text, never as HTML.
"use strict";

const KEY_STORAGE = "sluice.adminKey";
const LOG_REFRESH_MS = 5000;

// ---------------------------------------------------------------- helpers

// h("tag.class", {attr: value, onclick: fn}, child, ...): an element.
function h(spec, attrs, ...children) {
  const [tag, ...classes] = spec.split(".");
  const el = document.createElement(tag);
  if (classes.length) el.className = classes.join(" ");
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "text") el.textContent = value;
    else if (name in el && typeof value !== "string") el[name] = value;
    else el.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const $ = (selector, root = document) => root.querySelector(selector);
// Replaces the children of `el`; arrays are flattened, null and false left out.
function put(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
}
const enc = encodeURIComponent;
const pretty = (value) => JSON.stringify(value, null, 2);

let uid = 0;
// A labelled form field; `input` is the control, `path` names it for errors.
function field(labelText, input, { path, hint, wide } = {}) {
  input.id = input.id || `f${++uid}`;
  if (path) input.dataset.path = path;
  const wrap = h("div.field" + (wide ? ".wide" : ""), {},
    h("label", { for: input.id, text: labelText }), input);
  if (hint) {
    const hintEl = h("p.hint", { id: `${input.id}-hint`, text: hint });
    input.setAttribute("aria-describedby", hintEl.id);
    wrap.append(hintEl);
  }
  return wrap;
}

function toast(message) {
  const el = $("#toast");
  el.textContent = message;
  el.classList.add("show");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => el.classList.remove("show"), 2500);
}

async function copyText(text, what) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // No clipboard permission: copy through a selected text area instead.
    const area = h("textarea", { "aria-hidden": "true" });
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  toast(`${what} copied`);
}

// A value with a copy button: "URL  [Copy URL]".
function copyable(labelText, value, { testId } = {}) {
  return h("div.secret", {},
    h("span", { text: labelText }),
    h("code", { "data-testid": testId, text: value }),
    h("button.small.quiet", {
      type: "button", text: `Copy ${labelText === "URL" ? labelText : labelText.toLowerCase()}`,
      onclick: () => copyText(value, labelText),
    }));
}

// Shows long work in the progress bar and disables `button` until `work`
// settles; the page stays responsive meanwhile.
async function busy(button, label, work) {
  const bar = $("#progress");
  $("#progress-text").textContent = label;
  bar.hidden = false;
  if (button) { button.disabled = true; button.setAttribute("aria-busy", "true"); }
  try {
    return await work();
  } finally {
    bar.hidden = true;
    if (button) { button.disabled = false; button.removeAttribute("aria-busy"); }
  }
}

function confirmDialog(title, text, okLabel) {
  const dialog = $("#confirm");
  $("#confirm-title").textContent = title;
  $("#confirm-text").textContent = text;
  $("#confirm-ok").textContent = okLabel;
  return new Promise((resolve) => {
    const done = (answer) => {
      dialog.close();
      $("#confirm-ok").onclick = $("#confirm-cancel").onclick = dialog.oncancel = null;
      resolve(answer);
    };
    $("#confirm-ok").onclick = () => done(true);
    $("#confirm-cancel").onclick = () => done(false);
    dialog.oncancel = () => done(false);
    dialog.showModal();
  });
}

function formatTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

// ---------------------------------------------------------------- the API

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const session = {
  get key() { return sessionStorage.getItem(KEY_STORAGE) || ""; },
  set key(value) {
    if (value) sessionStorage.setItem(KEY_STORAGE, value);
    else sessionStorage.removeItem(KEY_STORAGE);
  },
};

// JSON.parse, except that integers beyond 2^53 keep their digits (as
// strings) instead of being rounded.
function parseJson(text) {
  return JSON.parse(text, (k, value, context) =>
    Number.isInteger(value) && !Number.isSafeInteger(value) && context?.source ? context.source : value);
}

// Calls the admin API; resolves to the parsed answer (null for 204; the
// text itself with `raw`), or rejects with an ApiError carrying the API's
// code and message.
async function api(method, path, body, key = session.key, { raw = false } = {}) {
  const init = { method, headers: { Authorization: `Bearer ${key}` } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(`/api/v1${path}`, init);
  } catch {
    throw new ApiError(0, "network", "The console could not reach the Sluice edge. Check that it is running.");
  }
  if (response.status === 204) return null;
  const text = await response.text();
  if (response.ok && raw) return text;
  let data = null;
  try { data = text ? parseJson(text) : null; } catch { /* not JSON */ }
  if (response.ok) return data;
  const error = data && data.error ? data.error : {};
  if (response.status === 401 && key === session.key) {
    session.key = "";
    showSignIn("The admin key was not accepted (401). Enter the key from var/admin-key, or ask whoever runs Sluice.");
  }
  let message = error.message || `HTTP ${response.status}`;
  if (response.status === 503) {
    const after = response.headers.get("Retry-After");
    message = `${message} (a Sluice service is unavailable${after ? `; retry in ${after} s` : ""})`;
  }
  throw new ApiError(response.status, error.code || "http_" + response.status, message);
}

// An alert box for an error, with the code the API gave.
function errorBox(error) {
  const status = error.status ? ` (${error.status}${error.code ? " " + error.code : ""})` : "";
  return h("div.alert", { role: "alert" },
    h("strong", { text: `Request failed${status}` }), error.message);
}

// The form fields an API error may be about, most likely first: a leading
// "field: …", quoted field names ("auth.readFrom" …), then what its code
// says. Each is also tried without its last dotted part.
function errorPaths(error) {
  const byCode = {
    invalid_sample: "sample", invalid_script: "script", script_rejected: "script",
    invalid_retention: "retention", invalid_name: "name", invalid_auth: "auth.method",
    malformed_json: "sample", invalid_limit: "maxBodyBytes",
  };
  const message = error.message || "";
  const paths = [];
  // A conflict is about a name the user chose, which may itself be quoted.
  if (error.status === 409) return [/table/i.test(message) ? "baseName" : "name"];
  const leading = /^([A-Za-z][A-Za-z0-9.]*): /.exec(message);
  if (leading) paths.push(leading[1]);
  for (const m of message.matchAll(/"([A-Za-z][A-Za-z0-9.]*)"/g)) paths.push(m[1]);
  if (byCode[error.code]) paths.push(byCode[error.code]);
  const out = [];
  for (let p of paths) {
    p = p.replace(/^structure\./, "");
    for (; p; p = p.includes(".") ? p.slice(0, p.lastIndexOf(".")) : "") out.push(p);
  }
  return out;
}

// Shows `error` at the field it is about (and in `summary`); clears older ones.
function showFormError(form, summary, error) {
  clearFormErrors(form, summary);
  summary.append(errorBox(error));
  let input = null;
  for (const p of errorPaths(error)) {
    input = form.querySelector(`[data-path="${CSS.escape(p)}"]`);
    if (input && !input.closest("[hidden]")) break;
    input = null;
  }
  if (!input) { summary.focus(); return; }
  const note = h("p.field-error", { id: `${input.id}-error`, text: error.message });
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-errormessage", note.id);
  input.closest(".field").append(note);
  input.focus();
}

function clearFormErrors(form, summary) {
  put(summary);
  for (const el of form.querySelectorAll(".field-error")) el.remove();
  for (const el of form.querySelectorAll("[aria-invalid]")) {
    el.removeAttribute("aria-invalid");
    el.removeAttribute("aria-errormessage");
  }
}

// A form whose submit runs `submit(form)`; an error it throws is shown at
// its field and in `summary`. No browser validation: the API's messages
// are more precise.
function apiForm(summary, submit, ...children) {
  const form = h("form", {
    novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      clearFormErrors(form, summary);
      try { await submit(form); } catch (error) { showFormError(form, summary, error); }
    },
  }, ...children);
  return form;
}

// Parses the JSON text of a textarea, or throws an ApiError-like error
// pointing at it.
function parseJsonField(text, path, what) {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ApiError(0, "malformed_json", `"${path}" is not valid JSON (${what}): ${e.message}`);
  }
}

// ---------------------------------------------------------------- routing

const routes = [
  [/^#\/integrations$/, viewIntegrations],
  [/^#\/integrations\/([^/]+)$/, viewIntegration],
  [/^#\/integrations\/([^/]+)\/new$/, viewNewListener],
  [/^#\/integrations\/([^/]+)\/listeners\/([^/]+)$/, viewListener],
  [/^#\/integrations\/([^/]+)\/listeners\/([^/]+)\/records$/, viewRecords],
  [/^#\/tables$/, viewTables],
  [/^#\/logs$/, viewLogs],
  [/^#\/scripts$/, viewScripts],
];

let leaveView = () => {};

async function render() {
  leaveView();
  leaveView = () => {};
  if (!session.key) return showSignIn();
  $("#nav").hidden = false;
  $("#sign-out").hidden = false;
  const hash = location.hash.split("?")[0] || "#/integrations";
  for (const a of document.querySelectorAll("#nav a")) {
    if (hash.startsWith(a.getAttribute("href"))) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  for (const [pattern, show] of routes) {
    const match = pattern.exec(hash);
    if (!match) continue;
    // Each view draws into a section of its own: when the user moves on
    // before a view's answers arrive, they land in a detached section.
    const section = h("section", {}, h("p.muted", { text: "Loading…" }));
    put($("#view"), section);
    try {
      await show(section, ...match.slice(1).map(decodeURIComponent));
    } catch (error) {
      if (error.status === 401) return;
      put(section, h("h1", { text: "Something went wrong" }), errorBox(error),
        h("p", {}, h("a", { href: "#/integrations", text: "Back to integrations" })));
    }
    return;
  }
  location.hash = "#/integrations";
}

function navigate(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

// Moves focus to the new view's heading after a navigation, so keyboard
// and screen-reader users start at the top of what changed.
function focusHeading() {
  const heading = $("#view h1");
  if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
}

// ---------------------------------------------------------------- sign in

function showSignIn(message) {
  leaveView();
  $("#nav").hidden = true;
  $("#sign-out").hidden = true;
  const input = h("input", { type: "password", autocomplete: "off", required: true });
  const summary = h("div", { tabindex: "-1" });
  if (message) summary.append(h("div.alert", { role: "alert" }, message));
  const form = h("form.signin", {
    onsubmit: async (event) => {
      event.preventDefault();
      const key = input.value.trim();
      const button = $("button", form);
      try {
        await busy(button, "Checking the admin key…", () => api("GET", "/integrations", undefined, key));
        session.key = key;
        await render();
        focusHeading();
      } catch (error) {
        put(summary, h("div.alert", { role: "alert" },
          h("strong", { text: error.status === 401 ? "Wrong admin key" : "Sign-in failed" }),
          error.status === 401
            ? "The admin API refused this key (401). Use the key Sluice was started with: make run prints where it is (var/admin-key)."
            : error.message));
        input.setAttribute("aria-invalid", "true");
        input.focus();
      }
    },
  },
  h("h1", { text: "Sign in to the Sluice console" }),
  h("p.hint", { text: "The admin key stays in this browser tab's session storage and is sent only to this server's admin API." }),
  summary,
  field("Admin key", input),
  h("div.actions", {}, h("button", { type: "submit", text: "Sign in" })));
  put($("#view"), form);
  input.focus();
}

// ---------------------------------------------------------------- integrations

let integrationNames = new Map();

async function loadIntegrations() {
  const { integrations } = await api("GET", "/integrations");
  integrationNames = new Map(integrations.map((i) => [i.uuid, i.name]));
  return integrations;
}

async function viewIntegrations(view) {
  const integrations = await loadIntegrations();
  const name = h("input", { required: true, maxlength: "128", placeholder: "e.g. crm" });
  const summary = h("div", { tabindex: "-1" });
  const create = h("button", { type: "submit", text: "Create integration" });
  const form = apiForm(summary, async () => {
    const created = await busy(create, "Creating integration…",
      () => api("POST", "/integrations", { name: name.value.trim() }));
    toast(`Integration ${created.name} created`);
    navigate(`#/integrations/${created.uuid}`);
  }, field("New integration name", name, { path: "name" }), create);
  form.classList.add("toolbar");

  const rows = integrations.map((i) => h("tr", {},
    h("td", {}, h("a", { href: `#/integrations/${i.uuid}`, text: i.name })),
    h("td.mono", { text: i.uuid }),
    h("td", { text: formatTime(i.createTime) }),
    h("td", {}, h("button.small.quiet", {
      type: "button", text: "Delete", "aria-label": `Delete integration ${i.name}`,
      onclick: (event) => deleteIntegration(event.target, i, summary),
    }))));
  put(view,
    h("h1", { text: "Integrations" }),
    h("p.hint", { text: "An integration groups the listeners of one system that sends webhooks (a CRM, a payment provider, UXI…)." }),
    form, summary,
    integrations.length
      ? h("div.scroll", {}, h("table", {},
          h("thead", {}, h("tr", {}, ["Name", "UUID (serviceUuid)", "Created"].map((t) => h("th", { scope: "col", text: t })),
            h("th", { scope: "col" }, h("span.sr-only", { text: "Actions" })))),
          h("tbody", {}, rows)))
      : h("p.muted", { text: "No integrations yet: create one above." }));
}

async function deleteIntegration(button, integration, summary) {
  if (!await confirmDialog(`Delete integration ${integration.name}?`,
    "The integration is removed. It must have no listeners left.", "Delete integration")) return;
  try {
    await busy(button, "Deleting integration…", () => api("DELETE", `/integrations/${integration.uuid}`));
    toast(`Integration ${integration.name} deleted`);
    render();
  } catch (error) {
    put(summary, errorBox(error.status === 409
      ? new ApiError(409, error.code, `${integration.name} still has listeners: delete them first (open the integration to see them). ${error.message}`)
      : error));
    summary.focus();
  }
}

async function viewIntegration(view, id) {
  const [integration, { listeners }] = await Promise.all([
    api("GET", `/integrations/${enc(id)}`),
    api("GET", `/integrations/${enc(id)}/listeners`),
  ]);
  const rows = listeners.map((l) => h("tr", {},
    h("td", {}, h("a", { href: `#/integrations/${id}/listeners/${l.uuid}`, text: l.name })),
    h("td", { text: authSummary(l.auth) }),
    h("td", { text: l.structure.tables.map((t) => t.name).join(", ") }),
    h("td", { text: l.retention || "forever" }),
    h("td.mono", { text: l.url })));
  put(view,
    h("p.crumbs", {}, h("a", { href: "#/integrations", text: "Integrations" }), " / ", integration.name),
    h("h1", { text: `Listeners of ${integration.name}` }),
    h("dl.props", {}, h("dt", { text: "Integration UUID" }), h("dd.mono", { text: integration.uuid }),
      h("dt", { text: "Created" }), h("dd", { text: formatTime(integration.createTime) })),
    h("div.actions", {},
      h("a.button", { href: `#/integrations/${id}/new`, text: "Create listener" }),
      h("a.button.quiet", { href: `#/logs?integration=${id}`, text: "Webhook logs" })),
    listeners.length
      ? h("div.scroll", {}, h("table", {},
          h("thead", {}, h("tr", {}, ["Name", "Auth", "Tables", "Retention", "URL"].map((t) => h("th", { scope: "col", text: t })))),
          h("tbody", {}, rows)))
      : h("p.muted", { text: "No listeners yet. A listener is one webhook URL with its own auth and tables." }));
}

function authSummary(auth) {
  switch (auth.method) {
    case "token":
      return auth.readFrom === "authorization"
        ? `token in Authorization${auth.prefix ? ` (${auth.prefix} …)` : ""}`
        : `token in ${auth.readFrom} ${auth.name}`;
    case "basic": return `HTTP Basic, user ${auth.username}`;
    case "hmac": return `HMAC signature (${auth.preset})`;
    default: return "none";
  }
}

// ---------------------------------------------------------------- listeners

const HMAC_PRESETS = ["github", "stripe", "shopify", "standard-webhooks", "generic"];

// The auth part of the listener form: fields shown for the chosen method.
function authFields() {
  const method = h("select", {}, ["token", "basic", "hmac", "none"].map((m) =>
    h("option", { value: m, text: { token: "Token", basic: "HTTP Basic", hmac: "HMAC signature", none: "None (anyone may post)" }[m] })));
  const readFrom = h("select", {}, [["header", "a header"], ["query", "a query parameter"], ["authorization", "the Authorization header"]]
    .map(([v, t]) => h("option", { value: v, text: t })));
  const tokenName = h("input", { value: "X-Api-Token" });
  const tokenPrefix = h("input", { value: "Bearer" });
  const username = h("input", { value: "sluice", maxlength: "128" });
  const password = h("input", { type: "password", autocomplete: "new-password", placeholder: "leave empty to generate one" });
  const preset = h("select", {}, HMAC_PRESETS.map((p) => h("option", { value: p, text: p })));
  const secret = h("input", { type: "password", autocomplete: "off", placeholder: "leave empty to generate one" });
  const header = h("input", { placeholder: "X-Signature" });
  const algorithm = h("select", {}, ["sha256", "sha1", "sha512"].map((a) => h("option", { value: a, text: a })));
  const encoding = h("select", {}, ["hex", "base64"].map((e) => h("option", { value: e, text: e })));
  const hmacPrefix = h("input", { placeholder: "e.g. sha256=" });
  const tolerance = h("input", { type: "number", min: "1", max: "86400", placeholder: "300" });

  const groups = {
    token: [field("Read the token from", readFrom, { path: "auth.readFrom" }),
      field("Header or parameter name", tokenName, { path: "auth.name" }),
      field("Prefix", tokenPrefix, { path: "auth.prefix", hint: "Authorization only, e.g. Bearer" })],
    basic: [field("Username", username, { path: "auth.username" }),
      field("Password", password, { path: "auth.password" })],
    hmac: [field("Sender", preset, { path: "auth.preset" }),
      field("Secret", secret, { path: "auth.secret", hint: "The sender's signing secret; standard-webhooks secrets start with whsec_" }),
      field("Signature header", header, { path: "auth.header" }),
      field("Algorithm", algorithm, { path: "auth.algorithm" }),
      field("Encoding", encoding, { path: "auth.encoding" }),
      field("Signature prefix", hmacPrefix, { path: "auth.prefix" }),
      field("Timestamp tolerance (s)", tolerance, { path: "auth.toleranceSeconds" })],
    none: [],
  };
  const box = h("div.fields");
  const update = () => {
    const shown = groups[method.value];
    put(box, ...shown);
    for (const el of [tokenName, tokenPrefix]) el.closest(".field").hidden = false;
    if (method.value === "token") {
      const auth = readFrom.value === "authorization";
      tokenName.closest(".field").hidden = auth;
      tokenPrefix.closest(".field").hidden = !auth;
    }
    if (method.value === "hmac") {
      for (const el of [header, algorithm, encoding, hmacPrefix]) el.closest(".field").hidden = preset.value !== "generic";
      tolerance.closest(".field").hidden = !["stripe", "standard-webhooks"].includes(preset.value);
    }
  };
  method.addEventListener("change", update);
  readFrom.addEventListener("change", update);
  preset.addEventListener("change", update);
  update();

  return {
    element: h("fieldset", {}, h("legend", { text: "Authentication" }),
      h("div.fields", {}, field("Method", method, { path: "auth.method" })), box),
    value() {
      switch (method.value) {
        case "token":
          return readFrom.value === "authorization"
            ? { method: "token", readFrom: "authorization", prefix: tokenPrefix.value.trim() }
            : { method: "token", readFrom: readFrom.value, name: tokenName.value.trim() };
        case "basic": {
          const auth = { method: "basic", username: username.value.trim() };
          if (password.value) auth.password = password.value;
          return auth;
        }
        case "hmac": {
          const auth = { method: "hmac", preset: preset.value };
          if (secret.value) auth.secret = secret.value;
          if (preset.value === "generic") {
            Object.assign(auth, { header: header.value.trim(), algorithm: algorithm.value, encoding: encoding.value });
            if (hmacPrefix.value) auth.prefix = hmacPrefix.value;
          }
          if (tolerance.value && !tolerance.closest(".field").hidden) auth.toleranceSeconds = Number(tolerance.value);
          return auth;
        }
        default: return { method: "none" };
      }
    },
  };
}

// Sample, base name, root path and primary key, with a table preview.
function structureFields(summary) {
  const baseName = h("input", { required: true, placeholder: "e.g. orders" });
  const rootPath = h("input", { placeholder: "empty: the body is the record (or a list of them)" });
  const primaryKey = h("input", { required: true, value: "id" });
  const sample = h("textarea.code", { required: true, spellcheck: "false", rows: "10",
    placeholder: '{"id": 1, "customer": {"name": "Ada"}, "items": [{"sku": "A1", "qty": 2}]}' });
  const preview = h("div", { "aria-live": "polite" });
  const value = () => ({
    baseName: baseName.value.trim(),
    rootPath: rootPath.value.trim(),
    primaryKey: primaryKey.value.split(",").map((s) => s.trim()).filter(Boolean),
    // Checked here, sent as pasted: 10.0 stays a number with a fraction
    // and large integers keep their digits.
    sample: (parseJsonField(sample.value, "sample", "paste one record as the sender posts it"), sample.value),
  });
  const previewButton = h("button.quiet", {
    type: "button", text: "Preview tables",
    onclick: async () => {
      const form = previewButton.closest("form");
      clearFormErrors(form, summary);
      try {
        const result = await busy(previewButton, "Generating the table preview…",
          () => api("POST", "/tables/generate", value()));
        put(preview, tablesPreview(result.tables, result.ddl));
      } catch (error) {
        put(preview);
        showFormError(form, summary, error);
      }
    },
  });
  return {
    element: h("fieldset", {}, h("legend", { text: "Tables from a sample" }),
      h("div.fields", {},
        field("Base table name", baseName, { path: "baseName" }),
        field("Root path", rootPath, { path: "rootPath", hint: "Dot path to the record(s) inside the body, e.g. data.items" }),
        field("Primary key", primaryKey, { path: "primaryKey", hint: "Root field names, comma-separated for a composite key" }),
        field("Sample payload (JSON)", sample, { path: "sample", wide: true })),
      h("div.actions", {}, previewButton), preview),
    value,
  };
}

function tablesPreview(tables, ddl) {
  return h("div", { "data-testid": "tables-preview" },
    h("h3", { text: `${tables.length} table${tables.length === 1 ? "" : "s"}` }),
    tables.map((t) => h("div.panel", {},
      h("strong", { text: t.name }), t.parent ? h("span.muted", { text: ` child of ${t.parent}` }) : null,
      h("div.scroll", {}, h("table", {},
        h("thead", {}, h("tr", {}, ["Column", "Type", "Key", "From JSON"].map((c) => h("th", { scope: "col", text: c })))),
        h("tbody", {}, t.columns.map((c) => h("tr", {},
          h("td.mono", { text: c.name }), h("td.mono", { text: c.type }),
          h("td", { text: c.primaryKey ? "primary key" : "" }), h("td.mono", { text: c.path })))))),
      t.extraFields ? h("p.hint", { text: `Kept in _extra: ${t.extraFields.join(", ")}` }) : null)),
    ddl ? [h("h3", { text: "DDL" }), h("pre", { "data-testid": "ddl", text: ddl.join(";\n\n") + ";" })] : null);
}

// Retention, body limit and script. `value()` gives the fields for a new
// listener; `changes()` only those that differ from `listener` (null
// clears retention and script).
function limitFields(listener = { retention: null, maxBodyBytes: 65536, script: "" }) {
  const retention = h("input", { value: listener.retention || "", placeholder: "e.g. 30d; empty keeps records forever" });
  const maxBody = h("input", { type: "number", min: "1", value: String(listener.maxBodyBytes) });
  const script = h("textarea.code", { spellcheck: "false", rows: "7",
    placeholder: "Optional Lua transform, e.g.\nfunction transform(record, ctx)\n  record.source = \"crm\"\n  return record\nend" });
  script.value = listener.script || "";
  const current = () => ({
    retention: retention.value.trim() || null,
    maxBodyBytes: maxBody.value.trim() ? Number(maxBody.value) : undefined,
    script: script.value.trim() ? script.value : null,
  });
  return {
    element: h("div.fields", {},
      field("Retention", retention, { path: "retention", hint: "Records not modified for this long are deleted: 45s, 90m, 12h, 30d" }),
      field("Body limit (bytes)", maxBody, { path: "maxBodyBytes" }),
      field("Transform script (Lua)", script, { path: "script", wide: true })),
    script,
    value() {
      const v = current();
      return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null && x !== undefined));
    },
    changes() {
      const v = current();
      const was = { retention: listener.retention || null, maxBodyBytes: listener.maxBodyBytes, script: listener.script || null };
      return Object.fromEntries(Object.entries(v).filter(([k, x]) => x !== undefined && x !== was[k]));
    },
    saved(changes) { Object.assign(listener, changes); },
  };
}

async function viewNewListener(view, id) {
  const integration = await api("GET", `/integrations/${enc(id)}`);
  const summary = h("div", { tabindex: "-1" });
  const name = h("input", { required: true, maxlength: "128", placeholder: "e.g. orders" });
  const auth = authFields();
  const structure = structureFields(summary);
  const limits = limitFields();
  const submit = h("button", { type: "submit", text: "Create listener" });
  const form = apiForm(summary, async () => {
    const body = { name: name.value.trim(), auth: auth.value(), structure: structure.value(), ...limits.value() };
    const created = await busy(submit, `Creating listener ${body.name} and its tables…`,
      () => api("POST", `/integrations/${enc(id)}/listeners`, body));
    showCreated(view, integration, created);
  },
  h("div.fields", {}, field("Listener name", name, { path: "name" })),
  auth.element, structure.element,
  h("fieldset", {}, h("legend", { text: "Limits and transform" }), limits.element),
  summary,
  h("div.actions", {}, submit, h("a.button.quiet", { href: `#/integrations/${id}`, text: "Cancel" })));
  put(view,
    h("p.crumbs", {}, h("a", { href: "#/integrations", text: "Integrations" }), " / ",
      h("a", { href: `#/integrations/${id}`, text: integration.name }), " / new listener"),
    h("h1", { text: `New listener in ${integration.name}` }), form);
}

// The credentials returned once, on creation or rotation.
function secretPanel(answer) {
  const parts = [];
  if (answer.token) parts.push(copyable("Token", answer.token, { testId: "secret" }));
  if (answer.password) parts.push(copyable("Password", answer.password, { testId: "secret" }));
  if (answer.secret) parts.push(copyable("Secret", answer.secret, { testId: "secret" }));
  if (!parts.length) return null;
  return h("div.panel.once", { role: "region", "aria-label": "Credentials shown once" },
    h("strong", { text: "Shown once: copy it now. Sluice keeps only a sealed copy and cannot show it again (rotate to get a new one)." }),
    parts);
}

function showCreated(view, integration, listener) {
  put(view,
    h("p.crumbs", {}, h("a", { href: "#/integrations", text: "Integrations" }), " / ",
      h("a", { href: `#/integrations/${integration.uuid}`, text: integration.name })),
    h("h1", { text: `Listener ${listener.name} created` }),
    h("p", { text: "Point the sender's webhooks at this URL:" }),
    copyable("URL", listener.url, { testId: "listener-url" }),
    secretPanel(listener),
    h("p", { text: `Authentication: ${authSummary(listener.auth)}.` }),
    tablesPreview(listener.structure.tables),
    h("div.actions", {},
      h("a.button", { href: `#/integrations/${integration.uuid}/listeners/${listener.uuid}`, text: "Open the listener" }),
      h("a.button.quiet", { href: `#/integrations/${integration.uuid}`, text: "Back to the integration" })));
  focusHeading();
}

async function viewListener(view, id, lid) {
  const [integration, listener] = await Promise.all([
    api("GET", `/integrations/${enc(id)}`),
    api("GET", `/integrations/${enc(id)}/listeners/${enc(lid)}`),
  ]);
  const base = `/integrations/${enc(id)}/listeners/${enc(lid)}`;
  const summary = h("div", { tabindex: "-1" });
  const once = h("div");

  const limits = limitFields(listener);
  const save = h("button", { type: "submit", text: "Save changes" });
  const settings = apiForm(summary, async () => {
    const changes = limits.changes();
    if (!Object.keys(changes).length) { toast("Nothing changed"); return; }
    await busy(save, "Saving the listener…", () => api("PATCH", base, changes));
    limits.saved(changes);
    toast("Listener saved");
  },
  limits.element,
  h("div.actions", {}, save,
    h("a.button.quiet", { href: "#/scripts", text: "Try a script", onclick: () => sessionStorage.setItem("sluice.script", limits.script.value) })));

  // An HMAC secret is often the sender's (Stripe and Shopify issue their
  // own): it can be set as well as generated.
  const secretInput = h("input", { type: "password", autocomplete: "off" });
  const setSecret = h("button.quiet", { type: "submit", text: "Set secret" });
  const secretForm = listener.auth.method !== "hmac" ? null : apiForm(summary, async () => {
    await busy(setSecret, "Setting the secret…", () => api("PATCH", base, { auth: { ...listener.auth, secret: secretInput.value } }));
    secretInput.value = "";
    toast("Secret set: the old one stops working within 5 s");
  }, h("div.toolbar", {}, field("The sender's signing secret", secretInput, { path: "auth.secret" }), setSecret));

  // A button that runs `work` with progress shown (after `confirm`, when
  // given, says yes); a failure goes to the summary.
  const action = (spec, text, label, work, { confirm, hidden } = {}) => {
    const button = h(spec, {
      type: "button", text, hidden,
      onclick: async () => {
        if (confirm && !await confirmDialog(...confirm)) return;
        try { await busy(button, label, work); } catch (error) { put(summary, errorBox(error)); summary.focus(); }
      },
    });
    return button;
  };
  const rotate = action("button.quiet", { basic: "Rotate password", token: "Rotate token" }[listener.auth.method] || "Generate a new secret",
    "Rotating…", async () => {
      put(once, secretPanel(await api("POST", `${base}/token`)));
      $("button", once)?.focus();
    }, {
      hidden: listener.auth.method === "none",
      confirm: ["Rotate the credential?", "A new one is generated and the old one stops working within 5 seconds. Senders must be given the new one.", "Rotate"],
    });
  const runRetention = action("button.quiet", "Run retention now", "Running retention…", async () => {
    const { deleted } = await api("POST", `${base}/retention/run`);
    toast(`Retention deleted ${deleted} record${deleted === 1 ? "" : "s"}`);
  });
  const remove = action("button.danger", "Delete listener", "Deleting the listener and its tables…", async () => {
    await api("DELETE", base);
    toast(`Listener ${listener.name} deleted`);
    navigate(`#/integrations/${id}`);
  }, {
    confirm: [`Delete listener ${listener.name}?`,
      `Its URL stops answering and its tables (${listener.structure.tables.map((t) => t.name).join(", ")}) are dropped with every record in them. This cannot be undone.`,
      "Delete listener and tables"],
  });

  put(view,
    h("p.crumbs", {}, h("a", { href: "#/integrations", text: "Integrations" }), " / ",
      h("a", { href: `#/integrations/${id}`, text: integration.name }), ` / ${listener.name}`),
    h("h1", { text: `Listener ${listener.name}` }),
    copyable("URL", listener.url, { testId: "listener-url" }),
    h("dl.props", {},
      h("dt", { text: "Authentication" }), h("dd", { text: authSummary(listener.auth) }),
      h("dt", { text: "Primary key" }), h("dd.mono", { text: listener.structure.primaryKey.join(", ") }),
      h("dt", { text: "Root path" }), h("dd.mono", { text: listener.structure.rootPath || "(the body)" }),
      h("dt", { text: "Created" }), h("dd", { text: formatTime(listener.createTime) })),
    h("div.actions", {},
      h("a.button", { href: `#/integrations/${id}/listeners/${lid}/records`, text: "Browse records" }),
      h("a.button.quiet", { href: `#/logs?integration=${id}&listener=${enc(listener.name)}`, text: "Webhook logs" }),
      rotate, runRetention, remove),
    summary, once,
    h("h2", { text: "Settings" }), settings,
    secretForm && [h("h2", { text: "Signing secret" }), secretForm],
    h("h2", { text: "Tables" }), tablesPreview(listener.structure.tables));
}

// ---------------------------------------------------------------- records

// Re-indents JSON text without parsing it, so every value shows exactly as
// stored (large integers, 1.0, escapes).
function indentJson(text) {
  let out = "", depth = 0, inString = false;
  const newline = () => "\n" + "  ".repeat(depth);
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === "\\") out += text[++i];
      else if (c === '"') inString = false;
    } else if (c === '"') { inString = true; out += c; }
    else if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      if (text[i + 1] === close) { out += c + close; i++; } else { depth++; out += c + newline(); }
    } else if (c === "}" || c === "]") { depth--; out += newline() + c; }
    else if (c === ",") out += "," + newline();
    else if (c === ":") out += ": ";
    else if (!/\s/.test(c)) out += c;
  }
  return out;
}

async function viewRecords(view, id, lid) {
  const [integration, listener] = await Promise.all([
    api("GET", `/integrations/${enc(id)}`),
    api("GET", `/integrations/${enc(id)}/listeners/${enc(lid)}`),
  ]);
  const base = `/integrations/${enc(id)}/listeners/${enc(lid)}/records`;
  const keys = listener.structure.primaryKey;
  const pages = [""];  // page tokens of the pages seen, for Previous
  let page = 0;
  let latest = 0;  // the newest list request; older answers are dropped
  const limit = h("select", {}, ["10", "25", "50", "100"].map((n) => h("option", { value: n, text: n, selected: n === "25" })));
  const list = h("div");
  const detail = h("div");
  const prev = h("button.quiet", { type: "button", text: "Previous page", onclick: () => load(page - 1) });
  const next = h("button.quiet", { type: "button", text: "Next page", onclick: () => load(page + 1) });

  const keyOf = (record) => keys.map((k) => (k in record ? record[k] : k.split(".").reduce((v, p) => v?.[p], record)));
  const text = (v) => (typeof v === "string" ? v : JSON.stringify(v));
  async function show(record, row) {
    for (const r of list.querySelectorAll("tr.selected")) r.classList.remove("selected");
    row.classList.add("selected");
    const values = keyOf(record);
    // The query form takes single and composite keys alike, an empty
    // string key included.
    const path = `${base}/?${keys.map((k, i) => `${enc(k)}=${enc(text(values[i]))}`).join("&")}`;
    try {
      const full = await api("GET", path, undefined, session.key, { raw: true });
      const heading = h("h2", { tabindex: "-1", text: `Record ${values.map(text).join(", ")}` });
      put(detail, heading, h("pre", { "data-testid": "record-json", text: indentJson(full) }));
      heading.focus();
    } catch (error) { put(detail, errorBox(error)); }
  }
  async function load(n) {
    const request = ++latest;
    const token = pages[n];
    const query = `?limit=${limit.value}${token ? `&pageToken=${enc(token)}` : ""}`;
    let answer;
    try {
      answer = await busy(null, "Loading records…", () => api("GET", base + query));
    } catch (error) {
      if (request === latest) put(list, errorBox(error));
      return;
    }
    if (request !== latest) return;
    page = n;
    if (answer.nextPageToken) pages[n + 1] = answer.nextPageToken;
    else pages.length = n + 1;
    prev.disabled = n === 0;
    next.disabled = !answer.nextPageToken;
    if (!answer.records.length) {
      put(list, h("p.muted", { text: n === 0 ? "No records yet. Post one to the listener URL." : "No more records." }));
      return;
    }
    // A record with a field of its own named lastModified has the write
    // time as _lastModified.
    const written = (r) => ("_lastModified" in r ? r._lastModified : r.lastModified);
    put(list, h("div.scroll", {}, h("table", {},
      h("thead", {}, h("tr", {}, [...keys, "Last modified"].map((t) => h("th", { scope: "col", text: t })),
        h("th", { scope: "col" }, h("span.sr-only", { text: "Actions" })))),
      h("tbody", {}, answer.records.map((record) => {
        const row = h("tr", {}, keyOf(record).map((v) => h("td.mono", { text: text(v) })),
          h("td", { text: formatTime(written(record)) }));
        row.append(h("td", {}, h("button.small.quiet", { type: "button", text: "Show JSON",
          "aria-label": `Show record ${keyOf(record).map(text).join(", ")}`, onclick: () => show(record, row) })));
        return row;
      })))), h("p.muted", { role: "status", text: `Page ${n + 1}` }));
  }
  limit.addEventListener("change", () => { pages.length = 1; load(0); });
  put(view,
    h("p.crumbs", {}, h("a", { href: "#/integrations", text: "Integrations" }), " / ",
      h("a", { href: `#/integrations/${id}`, text: integration.name }), " / ",
      h("a", { href: `#/integrations/${id}/listeners/${lid}`, text: listener.name }), " / records"),
    h("h1", { text: `Records of ${listener.name}` }),
    h("div.toolbar", {}, field("Per page", limit), prev, next,
      h("button.quiet", { type: "button", text: "Refresh", onclick: () => load(page) })),
    h("div.split", {}, list, detail));
  await load(0);
}

// ---------------------------------------------------------------- tables

async function viewTables(view) {
  const summary = h("div", { tabindex: "-1" });
  const structure = structureFields(summary);
  const form = h("form", { novalidate: true, onsubmit: (e) => { e.preventDefault(); $("fieldset button", form).click(); } },
    structure.element, summary);
  put(view,
    h("h1", { text: "Tables preview" }),
    h("p.hint", { text: "Paste a sample payload to see the tables, columns and DDL a listener would get. Nothing is created." }),
    form);
}

// ---------------------------------------------------------------- logs

const LOG_COLUMNS = ["Time", "Integration", "Listener", "Request", "Status", "Error", "ms", "Bytes", ""];

// Gives each cell of `row` its column's name, shown beside the value where
// a narrow screen lays a table's rows out as blocks (table.stack).
function labelled(columns, row) {
  [...row.cells].forEach((cell, i) => { if (columns[i]) cell.dataset.label = columns[i]; });
  return row;
}

async function viewLogs(view) {
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const integrations = await loadIntegrations();
  const integration = h("select", {}, h("option", { value: "", text: "All" }),
    integrations.map((i) => h("option", { value: i.uuid, text: i.name, selected: i.uuid === params.get("integration") })));
  const listener = h("input", { value: params.get("listener") || "", placeholder: "any", type: "search" });
  const state = h("select", {}, ["all", "success", "error"].map((s) => h("option", { value: s, text: s, selected: s === (params.get("state") || "all") })));
  const auto = h("input", { type: "checkbox", checked: true });
  // The table is not a live region (a refresh would be read out whole);
  // the status line says what changed.
  const list = h("div");
  const detail = h("div");
  const updated = h("span.muted", { role: "status" });
  let timer = null;
  let openId = null;
  let latest = 0;     // the newest request; older answers are dropped
  let shown = null;   // the entries on screen, as JSON text

  async function load() {
    const request = ++latest;
    const query = new URLSearchParams({ state: state.value });
    if (integration.value) query.set("integration", integration.value);
    if (listener.value.trim()) query.set("listener", listener.value.trim());
    // The filters go into the address (without a new view), so a reload
    // or a shared link keeps them.
    history.replaceState(null, "", `#/logs?${query}`);
    let entries;
    try {
      ({ entries } = await api("GET", `/logs?${query}`));
    } catch (error) {
      if (request === latest) { shown = null; put(list, errorBox(error)); }
      return;
    }
    if (request !== latest) return;
    const text = JSON.stringify(entries);
    const before = shown ? new Set(JSON.parse(shown).map((e) => e.id)) : null;
    updated.textContent = `Updated ${new Date().toLocaleTimeString()}`;
    if (text === shown) return;
    shown = text;
    const added = before ? entries.filter((e) => !before.has(e.id)).length : 0;
    if (added) updated.textContent += ` · ${added} new entr${added === 1 ? "y" : "ies"}`;
    if (!entries.length) {
      put(list, h("p.muted", { text: "No entries match. Every request to a listener is logged here, the last 10 per listener." }));
      return;
    }
    // Focus on a Details button survives the redraw.
    const focused = document.activeElement?.dataset?.entry;
    put(list, h("div.scroll", {}, h("table.stack", { "data-testid": "log-table" },
      h("thead", {}, h("tr", {}, LOG_COLUMNS.map((t) => h("th", { scope: "col" }, t || h("span.sr-only", { text: "Actions" }))))),
      h("tbody", {}, entries.map((e) => labelled(LOG_COLUMNS, h("tr", { class: e.id === openId ? "selected" : null },
        h("td", { text: formatTime(e.time) }),
        h("td", { text: integrationNames.get(e.integration) || e.integration }),
        h("td", { text: e.listener }),
        h("td.mono", { text: `${e.method} ${e.path}` }),
        h("td", {}, h(`span.badge.${e.state}`, { text: `${e.status} ${e.state}` })),
        h("td", { text: e.error }),
        h("td.num", { text: e.latencyMs }),
        h("td.num", { text: e.bytes }),
        h("td", {}, h("button.small.quiet", { type: "button", text: "Details", "data-entry": e.id,
          "aria-label": `Details of ${e.method} ${e.status} at ${formatTime(e.time)}`, onclick: () => showEntry(e.id) })))))))));
    if (focused) list.querySelector(`[data-entry="${CSS.escape(focused)}"]`)?.focus();
  }

  async function showEntry(id) {
    openId = id;
    for (const row of list.querySelectorAll("tbody tr")) {
      row.classList.toggle("selected", row.querySelector(`[data-entry="${CSS.escape(id)}"]`) !== null);
    }
    let entry;
    try { entry = await api("GET", `/logs/${enc(id)}`); } catch (error) { put(detail, errorBox(error)); return; }
    const answer = h("div", { "aria-live": "polite" });
    const replay = h("button", {
      type: "button", text: "Replay",
      onclick: async () => {
        try {
          const result = await busy(replay, "Replaying the request…", () => api("POST", `/logs/${enc(id)}/replay`));
          put(answer, h("div.panel", {}, h("strong", { text: "Replayed: accepted" }), h("pre", { text: pretty(result) })));
        } catch (error) {
          put(answer, errorBox(error));
        }
        load();
      },
    });
    put(detail, 
      h("h2", { text: `Entry ${entry.id}` }),
      h("dl.props", {},
        ...[["Time", formatTime(entry.time)], ["Request", `${entry.method} ${entry.path}`], ["Status", `${entry.status} (${entry.state})`],
          ["Error", entry.error || "none"], ["Latency", `${entry.latencyMs} ms`], ["Bytes", entry.bytes],
          ["Replay of", entry.replayOf]].filter(([, v]) => v !== undefined)
          .flatMap(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })])),
      entry.replayable
        ? h("div", {}, h("h3", { text: "Headers (credentials removed)" }), h("pre", { text: pretty(entry.headers) }),
           h("h3", { text: "Body as received" }), h("pre", { "data-testid": "log-body", text: entry.body }),
           h("div.actions", {}, replay, h("span.muted", { text: "Runs the request again through the listener's current tables and script." })), answer)
        : h("p.muted", { text: entry.status < 400 ? "A success: its body is not kept." : "Not replayable: the request did not pass authentication, or its body was too large to keep." }));
    detail.querySelector("h2").setAttribute("tabindex", "-1");
    detail.querySelector("h2").focus();
  }

  const schedule = () => {
    clearInterval(timer);
    timer = !auto.checked ? null : setInterval(() => {
      if (!list.isConnected) clearInterval(timer);  // the view was left
      else if (!document.hidden) load();
    }, LOG_REFRESH_MS);
  };
  for (const el of [integration, state]) el.addEventListener("change", load);
  listener.addEventListener("input", () => { clearTimeout(listener.timer); listener.timer = setTimeout(load, 300); });
  auto.addEventListener("change", schedule);
  put(view,
    h("h1", { text: "Webhook logs" }),
    h("div.toolbar", {},
      field("Integration", integration), field("Listener name", listener), field("State", state),
      h("label.check", {}, auto, "Refresh every 5 s"),
      h("button.quiet", { type: "button", text: "Refresh now", onclick: load }), updated),
    list, detail);
  if (!view.isConnected) return;  // left while the integrations loaded
  leaveView = () => clearInterval(timer);
  schedule();
  await load();
}

// ---------------------------------------------------------------- scripts

async function viewScripts(view) {
  const summary = h("div", { tabindex: "-1" });
  const script = h("textarea.code", { spellcheck: "false", rows: "12" });
  script.value = sessionStorage.getItem("sluice.script") ||
    "-- Called once per record; return the record, nil to drop it,\n-- or error(\"reason\") to reject the request (422).\nfunction transform(record)\n  record.source = \"console\"\n  return record\nend\n";
  const body = h("textarea.code", { spellcheck: "false", rows: "8" });
  body.value = '{"id": 1, "status": "new"}';
  const rootPath = h("input", { placeholder: "e.g. data.items" });
  const output = h("div", { "aria-live": "polite" });
  const run = h("button", { type: "submit", text: "Dry run" });
  const form = apiForm(summary, async () => {
    put(output);
    sessionStorage.setItem("sluice.script", script.value);
    let result;
    try {
      result = await busy(run, "Running the script…", () =>
        api("POST", "/scripts/test", { script: script.value, body: body.value, rootPath: rootPath.value.trim() }));
    } catch (error) {
      if (error.code === "script_rejected") error.message = `The script rejects this body (the sender would get 422): ${error.message}`;
      if (error.code === "malformed_json") error.message = `"body": ${error.message}`;
      throw error;
    }
    put(output, h("h2", { text: `${result.records.length} record${result.records.length === 1 ? "" : "s"} would be written` }),
      h("pre", { "data-testid": "script-output", text: pretty(result.records) }));
  },
  h("div.split", {},
    field("Script (Lua 5.4)", script, { path: "script" }),
    h("div", {}, field("Request body (JSON as the sender posts it)", body, { path: "body" }),
      field("Root path", rootPath, { path: "rootPath" }))),
  summary, h("div.actions", {}, run, h("span.muted", { text: "Nothing is written." })), output);
  put(view, h("h1", { text: "Script editor" }),
    h("p.hint", { text: "Try a listener's transform script against a pasted body and see the records it would produce." }), form);
}

// ---------------------------------------------------------------- start

window.addEventListener("hashchange", async () => {
  // In-page anchors (the skip link's #view) are not views.
  if (location.hash && !location.hash.startsWith("#/")) return;
  await render();
  focusHeading();
});
document.addEventListener("DOMContentLoaded", () => {
  $("#sign-out").addEventListener("click", () => {
    session.key = "";
    showSignIn("Signed out. The admin key was removed from this tab.");
  });
  render();
});
