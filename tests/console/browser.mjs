// Browser tests of the Sluice web console: Debian's Chromium, headless,
// driven by playwright-core against a running stack (no browser download,
// no mocked API: every click reaches the real admin API through the TLS
// front). Screenshots of each screen at 1280 px and 390 px go to --out.
//
//   node browser.mjs --stack-env STACK_DIR/stack.env --out DIR
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createHmac, randomBytes } from "node:crypto";
import https from "node:https";
import path from "node:path";
import { chromium } from "playwright-core";

import { readStackEnv } from "./stack_env.mjs";

function args() {
  const out = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, "")] = argv[i + 1];
  if (!out["stack-env"] || !out.out) {
    console.error("usage: node browser.mjs --stack-env FILE --out DIR");
    process.exit(2);
  }
  return out;
}

const options = args();
let env;
try {
  env = readStackEnv(options["stack-env"]);
} catch (e) {
  console.error(`browser.mjs: ${e.message}`);
  process.exit(2);
}
const base = Number(env.SLUICE_PORT_BASE);
const adminUrl = `https://localhost:${base + 1}/`;
const ca = readFileSync(path.join(env.SLUICE_VAR, "tls", "cert.pem"));
const adminKey = env.SLUICE_ADMIN_KEY;
mkdirSync(options.out, { recursive: true });
for (const name of readdirSync(options.out)) {
  if (name.endsWith(".png")) rmSync(path.join(options.out, name));
}

const WIDTHS = { wide: { width: 1280, height: 900 }, narrow: { width: 390, height: 844 } };

// Sends one HTTPS request as a webhook sender (or curl) would.
function send(url, { method = "POST", headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, headers, ca }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => { text += d; });
      res.on("end", () => resolve({ status: res.statusCode, text }));
    });
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

// The admin API, for set-up and clean-up around what the console does.
async function admin(method, apiPath, body) {
  const answer = await send(`${adminUrl}api/v1${apiPath}`, {
    method,
    headers: { Authorization: `Bearer ${adminKey}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: answer.status, body: answer.text ? JSON.parse(answer.text) : null };
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

const tests = [];
const test = (name, fn) => tests.push({ name, fn });
let browser;
let current = null;  // the page of the running test, for a screenshot when it fails

async function newPage(width = "wide") {
  const context = await browser.newContext({ viewport: WIDTHS[width], ignoreHTTPSErrors: true });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: adminUrl.replace(/\/$/, "") });
  const page = await context.newPage();
  current = page;
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console error: ${m.text()}`); });
  page.on("request", (r) => {
    if (!r.url().startsWith(adminUrl)) problems.push(`request outside the admin origin: ${r.url()}`);
  });
  page.problems = problems;
  return page;
}

async function closePage(page, { allowErrors = false } = {}) {
  // A 4xx the test provokes shows as "Failed to load resource"; any other
  // console error fails the test.
  const problems = allowErrors
    ? page.problems.filter((p) => !p.startsWith("console error: Failed to load resource"))
    : page.problems;
  await page.context().close();
  check(problems.length === 0, problems.join("\n"));
}

async function signIn(page) {
  await page.goto(adminUrl);
  await page.getByLabel("Admin key").fill(adminKey);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Integrations" }).waitFor();
}

async function shot(page, name, width) {
  await page.screenshot({ path: path.join(options.out, `${name}-${width}.png`), fullPage: true });
  // Nothing may need sideways scrolling of the whole page at this width
  // (wide tables scroll inside their own box).
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `${name} at ${width}: the page is ${overflow}px wider than the window`);
}

const suffix = randomBytes(4).toString("hex");
const state = {};
const SAMPLE = { id: 1, customer: { name: "Ada", email: "ada@example.com" }, total: 12.5, items: [{ sku: "A1", qty: 2 }] };

test("a wrong admin key is refused with a clear message", async () => {
  const page = await newPage();
  await page.goto(adminUrl);
  await page.getByLabel("Admin key").fill("not-the-admin-key-000000");
  await page.getByRole("button", { name: "Sign in" }).click();
  const alert = page.getByRole("alert");
  await alert.waitFor();
  const text = await alert.innerText();
  check(/Wrong admin key/.test(text) && /401/.test(text), `alert says: ${text}`);
  check(await page.evaluate(() => sessionStorage.getItem("sluice.adminKey")) === null, "a refused key was stored");
  check(!page.url().includes("not-the-admin-key"), "the key appeared in the URL");
  await shot(page, "sign-in-refused", "wide");
  await closePage(page, { allowErrors: true });
});

test("create an integration and a token listener from a pasted sample; copy URL and token", async () => {
  const page = await newPage();
  await signIn(page);
  check(!page.url().includes(adminKey), "the key appeared in the URL");
  await page.getByLabel("New integration name").fill(`console-${suffix}`);
  await page.getByRole("button", { name: "Create integration" }).click();
  await page.getByRole("heading", { name: `Listeners of console-${suffix}` }).waitFor();
  state.integrationUrl = page.url();
  await page.getByRole("link", { name: "Create listener" }).click();
  await page.getByLabel("Listener name").fill("orders");
  await page.getByLabel("Method").selectOption("token");
  await page.getByLabel("Read the token from").selectOption("header");
  await page.getByLabel("Header or parameter name").fill("X-Api-Token");
  await page.getByLabel("Base table name").fill(`orders_${suffix}`);
  await page.getByLabel("Primary key").fill("id");
  await page.getByLabel("Sample payload (JSON)").fill(JSON.stringify(SAMPLE, null, 2));
  await page.getByRole("button", { name: "Preview tables" }).click();
  const preview = page.getByTestId("tables-preview");
  await preview.waitFor();
  const previewText = await preview.innerText();
  check(previewText.includes(`orders_${suffix}_items`) && previewText.includes("customer_name"),
    `preview lacks the child table or a flattened column: ${previewText}`);
  check((await page.getByTestId("ddl").innerText()).includes("CREATE TABLE"), "no DDL in the preview");
  await page.getByLabel("Retention").fill("30d");

  // Creating a listener shows progress while it runs: hold the answer back.
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route("**/api/v1/integrations/*/listeners", async (route) => {
    await held;
    await route.continue();
  });
  await page.getByRole("button", { name: "Create listener" }).click();
  await page.getByRole("status").filter({ hasText: "Creating listener orders" }).waitFor();
  check(await page.getByRole("button", { name: "Create listener" }).isDisabled(), "the button stayed enabled while creating");
  await shot(page, "listener-creating", "wide");
  release();
  await page.getByRole("heading", { name: "Listener orders created" }).waitFor();
  await page.unroute("**/api/v1/integrations/*/listeners");

  state.url = await page.getByTestId("listener-url").innerText();
  state.token = await page.getByTestId("secret").innerText();
  check(/^https:\/\/localhost:\d+\/[0-9a-f-]{36}\/[0-9a-f-]{36}$/.test(state.url), `URL: ${state.url}`);
  check(state.token.length >= 40, `token: ${state.token}`);
  await page.getByRole("button", { name: "Copy url" }).click();
  check(await page.evaluate(() => navigator.clipboard.readText()) === state.url, "Copy URL did not copy the URL");
  await page.getByRole("button", { name: "Copy token" }).click();
  check(await page.evaluate(() => navigator.clipboard.readText()) === state.token, "Copy token did not copy the token");
  await shot(page, "listener-created", "wide");
  await page.getByRole("link", { name: "Open the listener" }).click();
  await page.getByRole("heading", { name: "Listener orders", exact: true }).waitFor();
  state.listenerUrl = page.url();
  const [, integrationId, listenerId] = /#\/integrations\/([^/]+)\/listeners\/([^/]+)$/.exec(state.listenerUrl);
  state.listenerApi = `/integrations/${integrationId}/listeners/${listenerId}`;
  await closePage(page);
});

test("a record posted to the listener shows in the records view and the logs", async () => {
  check(state.token, "no listener from the previous test");
  const record = { ...SAMPLE, id: 42, customer: { name: "Grace Hopper", email: "grace@example.com" } };
  const answer = await send(state.url, {
    headers: { "Content-Type": "application/json", "X-Api-Token": state.token },
    body: JSON.stringify(record),
  });
  check(answer.status === 200, `ingest answered ${answer.status} ${answer.text}`);
  // A request the listener rejects (a string where the sample has a number).
  const bad = await send(state.url, {
    headers: { "Content-Type": "application/json", "X-Api-Token": state.token },
    body: JSON.stringify({ ...SAMPLE, id: 43, total: "twelve" }),
  });
  check(bad.status === 400, `the bad record answered ${bad.status}`);

  const page = await newPage();
  await signIn(page);
  await page.goto(state.listenerUrl);
  await page.getByRole("link", { name: "Browse records" }).click();
  await page.getByRole("heading", { name: "Records of orders" }).waitFor();
  await page.getByRole("button", { name: "Show record 42" }).click();
  const json = await page.getByTestId("record-json").innerText();
  check(json.includes("Grace Hopper") && json.includes("lastModified"), `record JSON: ${json}`);

  // A batch of 30 more: 31 records are two pages of 25.
  const batch = Array.from({ length: 30 }, (_, i) => ({ ...SAMPLE, id: 100 + i }));
  const posted = await send(state.url, {
    headers: { "Content-Type": "application/json", "X-Api-Token": state.token },
    body: JSON.stringify(batch),
  });
  check(posted.status === 200, `the batch answered ${posted.status} ${posted.text}`);
  await page.getByRole("button", { name: "Refresh" }).click();
  const rows = () => page.locator("main tbody tr").count();
  await page.getByText("Page 1").waitFor();
  await page.waitForFunction(() => document.querySelectorAll("main tbody tr").length === 25);
  check(await page.getByRole("button", { name: "Previous page" }).isDisabled(), "Previous enabled on page 1");
  await page.getByRole("button", { name: "Next page" }).click();
  await page.getByText("Page 2").waitFor();
  check(await rows() === 6, `page 2 has ${await rows()} rows, expected 6`);
  check(await page.getByRole("button", { name: "Next page" }).isDisabled(), "Next enabled on the last page");
  await page.getByRole("button", { name: "Previous page" }).click();
  await page.getByText("Page 1").waitFor();

  await page.getByRole("link", { name: "Webhook logs" }).click();
  await page.getByRole("heading", { name: "Webhook logs" }).waitFor();
  await page.getByLabel("Listener name").fill("orders");
  await page.getByLabel("Integration").selectOption({ label: `console-${suffix}` });
  const table = page.getByTestId("log-table");
  // Until the rows shown are only this listener's, with `states` among them.
  const filtered = (states) => page.waitForFunction(([integration, wanted]) => {
    const rows = [...document.querySelectorAll("[data-testid=log-table] tbody tr")];
    const cells = (r) => [...r.cells].map((c) => c.innerText);
    return rows.length > 0 && rows.every((r) => cells(r)[1] === integration && cells(r)[2] === "orders") &&
      wanted.every((w) => rows.some((r) => cells(r)[4] === w));
  }, [`console-${suffix}`, states]);
  await filtered(["200 success", "400 error"]);
  await page.getByLabel("State").selectOption("error");
  await page.waitForFunction(() => !document.querySelector("[data-testid=log-table]")?.innerText.includes("200 success"));
  await filtered(["400 error"]);
  await shot(page, "logs-filtered", "wide");

  // The error entry's details and its replay, after the sample's widening
  // would not help: the replay answers as ingest would, and is logged.
  await page.getByLabel("Refresh every 5 s").uncheck();  // no redraw under the click
  await page.getByRole("button", { name: /Details of POST 400/ }).first().click();
  const body = await page.getByTestId("log-body").innerText();
  check(body.includes("twelve"), `logged body: ${body}`);
  await page.getByRole("button", { name: "Replay" }).click();
  await page.getByRole("alert").filter({ hasText: "400" }).waitFor();
  await shot(page, "log-entry", "wide");

  // Auto-refresh: an entry posted now appears without a click.
  await page.getByLabel("State").selectOption("all");
  await filtered(["200 success"]);
  await page.getByLabel("Refresh every 5 s").check();
  check(!(await table.innerText()).includes("401 error"), "a 401 is listed before one was sent");
  await send(state.url, { headers: { "Content-Type": "application/json", "X-Api-Token": "wrong" }, body: "{}" });
  await table.getByText("401 error").first().waitFor({ timeout: 15000 });
  await closePage(page, { allowErrors: true });
});

test("table preview shows an error at the field that caused it", async () => {
  const page = await newPage();
  await signIn(page);
  await page.getByRole("link", { name: "Tables preview" }).click();
  await page.getByLabel("Base table name").fill("preview");
  await page.getByLabel("Primary key").fill("missing_field");
  await page.getByLabel("Sample payload (JSON)").fill('{"id": 1}');
  await page.getByRole("button", { name: "Preview tables" }).click();
  const key = page.getByLabel("Primary key");
  await page.waitForFunction(() => document.querySelector("[aria-invalid=true]") !== null);
  check(await key.getAttribute("aria-invalid") === "true", "the primary key field is not marked invalid");
  await page.getByLabel("Sample payload (JSON)").fill("{not json");
  await page.getByRole("button", { name: "Preview tables" }).click();
  await page.waitForFunction(() => document.activeElement?.dataset.path === "sample");
  check(await page.getByLabel("Sample payload (JSON)").getAttribute("aria-invalid") === "true", "the sample field is not marked invalid");
  await page.getByLabel("Sample payload (JSON)").fill(JSON.stringify(SAMPLE));
  await page.getByLabel("Primary key").fill("id");
  await page.getByRole("button", { name: "Preview tables" }).click();
  await page.getByTestId("ddl").waitFor();
  await shot(page, "tables-preview", "wide");
  await closePage(page, { allowErrors: true });
});

test("script editor dry run shows the records and a rejection", async () => {
  const page = await newPage();
  await signIn(page);
  await page.getByRole("link", { name: "Script editor" }).click();
  await page.getByLabel("Script (Lua 5.4)").fill("function transform(r)\n  if r.total < 0 then error('total must not be negative') end\n  r.checked = true\n  return r\nend");
  await page.getByLabel(/Request body/).fill('[{"id": 1, "total": 3}, {"id": 2, "total": 4}]');
  await page.getByRole("button", { name: "Dry run" }).click();
  const output = await page.getByTestId("script-output").innerText();
  check(JSON.parse(output).length === 2 && output.includes('"checked": true'), `dry run output: ${output}`);
  await page.getByLabel(/Request body/).fill('{"id": 1, "total": -1}');
  await page.getByRole("button", { name: "Dry run" }).click();
  const alert = await page.getByRole("alert").innerText();
  check(alert.includes("total must not be negative") && alert.includes("422"), `rejection: ${alert}`);
  await shot(page, "script-dry-run", "wide");
  await closePage(page, { allowErrors: true });
});

test("keyboard only: sign in, create and delete an integration, and the 409 explained", async () => {
  const page = await newPage();
  await page.goto(adminUrl);
  await page.keyboard.type(adminKey);  // the key field has focus on arrival
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Integrations" }).waitFor();
  // The skip link leads past the navigation and leaves the view as it is.
  await page.keyboard.press("Shift+Tab");
  for (let i = 0; i < 10 && !(await page.evaluate(() => document.activeElement.matches(".skip"))); i++) {
    await page.keyboard.press("Shift+Tab");
  }
  check(await page.evaluate(() => document.activeElement.matches(".skip")), "the skip link is not reachable");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.activeElement.id === "view");
  check(await page.getByRole("heading", { name: "Integrations" }).isVisible(), "the skip link left the view");
  // Tab to a control labelled `label`; false when not reached in 400 steps
  // (the test stack holds the integrations of every other test).
  const tabTo = async (label) => {
    for (let i = 0; i < 400; i++) {
      await page.keyboard.press("Tab");
      const name = await page.evaluate(() => {
        const el = document.activeElement;
        return el.getAttribute("aria-label") || el.labels?.[0]?.textContent || el.textContent;
      });
      if (name && name.trim() === label) return true;
    }
    return false;
  };
  check(await tabTo("New integration name"), "the new-integration field is not reachable with Tab");
  await page.keyboard.type(`keys-${suffix}`);
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: `Listeners of keys-${suffix}` }).waitFor();
  check(await tabTo("Integrations"), "the navigation is not reachable with Tab");
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Integrations" }).waitFor();
  check(await tabTo(`Delete integration keys-${suffix}`), "the delete button is not reachable with Tab");
  await page.keyboard.press("Enter");
  await page.getByRole("dialog").waitFor();
  await page.keyboard.press("Tab");  // Cancel has focus; the next is Delete
  await page.keyboard.press("Enter");
  await page.getByText(`Integration keys-${suffix} deleted`).waitFor();
  await page.waitForFunction((n) => !document.querySelector("main").innerText.includes(n), `keys-${suffix}`);

  // The integration with a listener cannot go: the 409 says why.
  check(await tabTo(`Delete integration console-${suffix}`), "delete of the listener's integration not reachable");
  await page.keyboard.press("Enter");
  await page.getByRole("dialog").waitFor();
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  const alert = await page.getByRole("alert").innerText();
  check(alert.includes("409") && alert.includes("still has listeners"), `409 alert: ${alert}`);
  await closePage(page, { allowErrors: true });
});

test("names and bodies that look like HTML are shown as text", async () => {
  const markup = "<img src=x onerror=window.__injected=1>";
  const created = await admin("POST", "/integrations", { name: `${markup}-${suffix}` });
  check(created.status === 201, `integration: ${created.status}`);
  const listener = await admin("POST", `/integrations/${created.body.uuid}/listeners`, {
    name: `<b>bold</b>`, auth: { method: "none" },
    structure: { baseName: `html_${suffix}`, primaryKey: ["id"], sample: { id: 1, note: "x" } },
  });
  check(listener.status === 201, `listener: ${listener.status} ${JSON.stringify(listener.body)}`);
  const bad = await send(listener.body.url, { headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ id: "<script>window.__injected=2</script>", note: markup }) });
  check(bad.status === 400, `the bad record answered ${bad.status}`);
  const good = await send(listener.body.url, { headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ id: 7, note: markup }) });
  check(good.status === 200, `the record answered ${good.status}`);

  const page = await newPage();
  page.on("dialog", (d) => { page.problems.push(`a dialog opened: ${d.message()}`); d.dismiss(); });
  await signIn(page);
  await page.getByRole("link", { name: `${markup}-${suffix}` }).click();
  await page.getByRole("heading", { name: `Listeners of ${markup}-${suffix}` }).waitFor();
  await page.getByRole("link", { name: "<b>bold</b>" }).click();
  await page.getByRole("link", { name: "Browse records" }).click();
  await page.getByRole("button", { name: "Show record 7" }).click();
  check((await page.getByTestId("record-json").innerText()).includes(markup), "the record's markup is not shown as text");
  await page.getByRole("navigation").getByRole("link", { name: "Webhook logs" }).click();
  await page.getByLabel("Listener name").fill("<b>bold</b>");
  await page.getByLabel("Refresh every 5 s").uncheck();
  await page.getByRole("button", { name: /Details of POST 400/ }).first().click();
  check((await page.getByTestId("log-body").innerText()).includes("<script>"), "the logged body is not shown as text");
  check(await page.evaluate(() => window.__injected) === undefined, "markup from the API ran in the page");
  check(await page.locator("main img, main b, main script").count() === 0, "markup from the API became elements");
  await closePage(page, { allowErrors: true });
});

test("listener settings save only what changed; an HMAC secret can be set", async () => {
  const created = await admin("POST", "/integrations", { name: `hmac-${suffix}` });
  const listener = await admin("POST", `/integrations/${created.body.uuid}/listeners`, {
    name: "pushes", auth: { method: "hmac", preset: "github" }, retention: "30d",
    structure: { baseName: `pushes_${suffix}`, primaryKey: ["id"], sample: { id: 1 } },
  });
  check(listener.status === 201, `listener: ${listener.status}`);
  const apiPath = `/integrations/${created.body.uuid}/listeners/${listener.body.uuid}`;
  const page = await newPage();
  await signIn(page);
  await page.goto(`${adminUrl}#${apiPath}`);
  await page.getByRole("heading", { name: "Listener pushes", exact: true }).waitFor();
  await page.getByLabel("Retention").fill("");
  await page.getByLabel("Body limit (bytes)").fill("1024");
  const patches = [];
  page.on("request", (r) => { if (r.method() === "PATCH") patches.push(r.postDataJSON()); });
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.getByText("Listener saved").waitFor();
  check(JSON.stringify(patches[0]) === '{"retention":null,"maxBodyBytes":1024}', `PATCH sent ${JSON.stringify(patches[0])}`);
  const saved = await admin("GET", apiPath);
  check(saved.body.retention === null && saved.body.maxBodyBytes === 1024, `saved: ${JSON.stringify(saved.body)}`);

  const secret = `sender-issued-${suffix}`;
  await page.getByLabel("The sender's signing secret").fill(secret);
  await page.getByRole("button", { name: "Set secret" }).click();
  await page.getByText(/Secret set/).waitFor();
  const body = '{"id": 5}';
  const signature = "sha256=" + createHmac("sha256", secret).update(body).digest("hex");
  let answer;
  for (const deadline = Date.now() + 10000; Date.now() < deadline;) {
    answer = await send(listener.body.url, { headers: { "Content-Type": "application/json", "X-Hub-Signature-256": signature }, body });
    if (answer.status === 200) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  check(answer.status === 200, `a body signed with the secret set answers ${answer.status} ${answer.text}`);
  await closePage(page);
});

test("large integers read back with every digit", async () => {
  check(state.token, "no listener from the earlier tests");
  // Written as text: a JavaScript number would round 2^53 + 1.
  const body = '{"id": 9007199254740993, "customer": {"name": "Big", "email": "b@example.com"}, "total": 1.0, "items": []}';
  const answer = await send(state.url, { headers: { "Content-Type": "application/json", "X-Api-Token": state.token }, body });
  check(answer.status === 200, `ingest answered ${answer.status} ${answer.text}`);
  const page = await newPage();
  await signIn(page);
  await page.goto(`${state.listenerUrl}/records`);
  await page.getByRole("button", { name: "Next page" }).click();
  await page.getByRole("button", { name: "Show record 9007199254740993" }).click();
  const json = await page.getByTestId("record-json").innerText();
  check(json.includes('"id": 9007199254740993'), `record JSON: ${json}`);
  await closePage(page);
});

for (const width of ["narrow", "wide"]) {
  test(`every screen at ${WIDTHS[width].width} px: no sideways scrolling, navigation reachable`, async () => {
    const page = await newPage(width);
    await signIn(page);
    await shot(page, "integrations", width);
    await page.goto(state.integrationUrl);
    await page.getByRole("heading", { name: /Listeners of/ }).waitFor();
    await shot(page, "integration", width);
    await page.getByRole("link", { name: "Create listener" }).click();
    await page.getByRole("heading", { name: /New listener/ }).waitFor();
    await shot(page, "new-listener", width);
    await page.goto(state.listenerUrl);
    await page.getByRole("heading", { name: "Listener orders", exact: true }).waitFor();
    await shot(page, "listener", width);
    await page.getByRole("link", { name: "Browse records" }).click();
    await page.getByRole("button", { name: "Show record 42" }).click();
    await page.getByTestId("record-json").waitFor();
    await shot(page, "records", width);
    for (const [link, name] of [["Tables preview", "tables"], ["Webhook logs", "logs"], ["Script editor", "scripts"]]) {
      await page.getByRole("navigation").getByRole("link", { name: link }).click();
      await page.getByRole("heading", { name: link }).waitFor();
      await shot(page, name, width);
    }
    await closePage(page);
  });
}

test("rotate the token and delete the listener with confirmation", async () => {
  const page = await newPage();
  await signIn(page);
  await page.goto(state.listenerUrl);
  await page.getByRole("button", { name: "Rotate token" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Rotate" }).click();
  const token = await page.getByTestId("secret").innerText();
  check(token.length >= 40 && token !== state.token, "no new token shown");
  // The old token stops working within 5 s.
  let old;
  for (const deadline = Date.now() + 10000; Date.now() < deadline;) {
    old = await send(state.url, { headers: { "Content-Type": "application/json", "X-Api-Token": state.token }, body: JSON.stringify(SAMPLE) });
    if (old.status === 401) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  check(old.status === 401, `the old token still answers ${old.status} after 10 s`);
  const fresh = await send(state.url, { headers: { "Content-Type": "application/json", "X-Api-Token": token }, body: JSON.stringify(SAMPLE) });
  check(fresh.status === 200, `the new token answers ${fresh.status}`);

  await page.getByRole("button", { name: "Delete listener" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
  await page.getByRole("dialog").waitFor({ state: "hidden" });
  const kept = await admin("GET", state.listenerApi);
  check(kept.status === 200, `Cancel deleted the listener (${kept.status})`);
  await page.getByRole("button", { name: "Delete listener" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete listener and tables" }).click();
  await page.getByRole("heading", { name: /Listeners of/ }).waitFor();
  check(!(await page.locator("main").innerText()).includes("orders"), "the listener is still listed");
  const gone = await send(state.url, { headers: { "Content-Type": "application/json", "X-Api-Token": token }, body: JSON.stringify(SAMPLE) });
  check(gone.status === 404, `the deleted listener answers ${gone.status}`);
  // With no listener left, the integration can be deleted.
  await page.getByRole("navigation").getByRole("link", { name: "Integrations" }).click();
  await page.getByRole("button", { name: `Delete integration console-${suffix}` }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete integration" }).click();
  await page.getByText(`Integration console-${suffix} deleted`).waitFor();
  await closePage(page);
});

// Deletes what this run created (integrations named *-<suffix>, their
// listeners and tables), whatever the tests left behind.
async function cleanUp() {
  const { body } = await admin("GET", "/integrations");
  for (const i of body.integrations.filter((x) => x.name.endsWith(suffix))) {
    const { body: ls } = await admin("GET", `/integrations/${i.uuid}/listeners`);
    for (const l of ls.listeners) await admin("DELETE", `/integrations/${i.uuid}/listeners/${l.uuid}`);
    await admin("DELETE", `/integrations/${i.uuid}`);
  }
}

browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
let failed = 0;
for (const { name, fn } of tests) {
  const started = Date.now();
  try {
    await fn();
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    failed++;
    if (current && !current.isClosed()) {
      await current.screenshot({ path: path.join(options.out, `failed-${failed}.png`), fullPage: true }).catch(() => {});
      await current.context().close().catch(() => {});
    }
    console.log(`FAIL ${name}\n     ${String(error.stack || error).split("\n").join("\n     ")}`);
  }
}
await browser.close();
await cleanUp();
console.log(`browser: ${tests.length} tests, ${tests.length - failed} passed, ${failed} failed; screenshots in ${options.out}`);
process.exit(failed ? 1 : 0);
