// The real-browser checks of a built keyguide site (see README.md). Usage:
//   node check.mjs SITE_DIR              run every check, exit 1 on any failure
//   node check.mjs SITE_DIR --screenshots DIR   also write the README screenshots
import { readdirSync, readFileSync, mkdirSync } from "node:fs";
import { join, relative } from "node:path";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";
import { HtmlValidate, StaticConfigLoader } from "html-validate";
import { serve } from "./serve.mjs";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const HERE = new URL(".", import.meta.url).pathname;

const [site, flag, shotsDir] = process.argv.slice(2);
if (!site) {
  console.error("usage: node check.mjs SITE_DIR [--screenshots DIR]");
  process.exit(2);
}

const failures = [];
function fail(check, message) {
  failures.push(`${check}: ${message}`);
  console.log(`  FAIL ${check}: ${message}`);
}

function htmlFiles(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".html"))
    .map((e) => relative(site, join(e.parentPath ?? e.path, e.name)))
    .sort();
}

// The URL path a file is served at: folders for index.html.
function pagePath(file) {
  return file.endsWith("index.html") ? file.slice(0, -"index.html".length) : file;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

// A page that records console errors, page errors, CSP violations and failed requests.
async function watchedPage(context, origin) {
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => {
    if (r.url().startsWith(origin)) problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on("response", (r) => {
    const kind = r.request().resourceType();
    if (r.url().startsWith(origin) && r.status() >= 400 && kind !== "document") {
      problems.push(`${r.status()} for ${r.url()}`);
    }
  });
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
    });
  });
  return { page, problems };
}

async function cspViolations(page) {
  return page.evaluate(() => window.__csp ?? []);
}

// 1. Every page loads clean under the site's own headers (CSP included).
async function everyPageLoadsClean(base, context) {
  const origin = new URL(base).origin;
  const files = htmlFiles(site);
  for (const file of files) {
    const { page, problems } = await watchedPage(context, origin);
    const url = base + pagePath(file);
    await page.goto(url, { waitUntil: "load" });
    await page.waitForTimeout(50);
    problems.push(...(await cspViolations(page)).map((v) => `CSP violation: ${v}`));
    for (const p of problems) fail(`load ${file}`, p);
    await page.close();
  }
  console.log(`  ${files.length} pages loaded`);
}

// 2. The switcher keeps the reader on the same page in another version.
async function switcherKeepsThePage(base, context) {
  const page = await context.newPage();
  await page.goto(`${base}1.1.0/gateway/mtls-client-certificates/`);
  await page.click(".kg-switcher summary");
  await page.click('.kg-switcher a:has-text("Version 1.0.0")');
  await page.waitForLoadState("load");
  const path = new URL(page.url()).pathname;
  if (!path.endsWith("/1.0.0/gateway/mtls-client-certificates/")) {
    fail("switcher", `from 1.1.0 mTLS page to 1.0.0 landed on ${path}`);
  }
  await page.close();
}

// 3. /latest/... lands on the same page and fragment in the latest version.
async function latestKeepsTheFragment(base, context, how) {
  const page = await context.newPage();
  await page.goto(`${base}latest/gateway/hosted-fields-psk/#rotation`);
  await page.waitForURL(/\/1\.1\.0\//, { timeout: 5000 }).catch(() => {});
  const url = new URL(page.url());
  if (!url.pathname.endsWith("/1.1.0/gateway/hosted-fields-psk/") || url.hash !== "#rotation") {
    fail(`latest redirect (${how})`, `landed on ${url.pathname}${url.hash}`);
  }
  await page.close();
}

// 4. Search finds a known phrase, from the landing page and from a guide page.
async function searchFinds(base, context) {
  for (const start of ["", "1.0.0/vault/"]) {
    const page = await context.newPage();
    await page.goto(base + start);
    const input = page.locator("#kg-search-input");
    if (!(await input.isVisible())) {
      fail("search", `no visible #kg-search-input on /${start}`);
      await page.close();
      continue;
    }
    await input.fill("fingerprint portal");
    const first = page.locator("#kg-search-results a").first();
    await first.waitFor({ timeout: 3000 }).catch(() => {});
    const count = await page.locator("#kg-search-results a").count();
    if (count === 0) {
      fail("search", `"fingerprint portal" found nothing on /${start}`);
    } else {
      const text = await first.innerText();
      await first.click();
      await page.waitForLoadState("load");
      const url = new URL(page.url());
      const target = url.hash ? await page.locator(url.hash).count() : 0;
      if (!url.hash || target !== 1) fail("search", `result "${text}" led to ${url.pathname}${url.hash}`);
    }
    await page.close();
  }
  // Base-guide text is found on every integration page that shows it, although an
  // integration's index entry holds only its own text (search-index.js `b` flag).
  const page = await context.newPage();
  await page.goto(base + "1.0.0/gateway/api-key-wrapping/");
  await page.locator("#kg-search-input").fill("smart-card-protected backup");
  await page.locator("#kg-search-results a").first().waitFor({ timeout: 3000 }).catch(() => {});
  const hrefs = await page.locator("#kg-search-results a").evaluateAll((links) => links.map((a) => a.href));
  for (const want of ["/1.0.0/gateway/#backup-recovery", "/1.0.0/gateway/api-key-wrapping/#backup-recovery"]) {
    if (!hrefs.some((h) => h.endsWith(want))) fail("search", `base text not found on ${want}: ${hrefs.join(" ")}`);
  }
  await page.close();
}

// 5. Tab from the top reaches the skip link, the switcher and the search box.
async function keyboardReachesSwitcherAndSearch(base, context) {
  const page = await context.newPage();
  await page.goto(`${base}1.1.0/gateway/`);
  const seen = [];
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press("Tab");
    seen.push(
      await page.evaluate(() => {
        const e = document.activeElement;
        if (!e) return "";
        if (e.classList.contains("kg-skip")) return "skip";
        if (e.closest(".kg-switcher")) return "switcher";
        if (e.id === "kg-search-input") return "search";
        return e.tagName.toLowerCase();
      }),
    );
  }
  for (const want of ["skip", "switcher", "search"]) {
    if (!seen.includes(want)) fail("keyboard", `Tab never reached ${want} (focus went ${seen.join(" → ")})`);
  }
  // The switcher opens from the keyboard and its links are reachable.
  await page.focus(".kg-switcher summary");
  await page.keyboard.press("Enter");
  await page.keyboard.press("Tab");
  const onVersion = await page.evaluate(() => !!document.activeElement?.closest(".kg-switcher li"));
  if (!onVersion) fail("keyboard", "after opening the switcher with Enter, Tab does not reach a version link");
  await page.close();
}

// 6. axe-core: no serious or critical violations, in light and dark schemes, on a desktop
// and on a phone-sized viewport (where tables and code blocks scroll).
async function accessible(base, context) {
  const pages = ["", "1.1.0/gateway/", "1.1.0/gateway/hosted-fields-psk/", "releases/", "releases/1.1.0/"];
  const modes = [
    ["light", { width: 1280, height: 800 }],
    ["dark", { width: 1280, height: 800 }],
    ["light", { width: 390, height: 844 }],
  ];
  for (const [scheme, viewport] of modes) {
    for (const path of pages) {
      const page = await context.newPage();
      await page.setViewportSize(viewport);
      await page.emulateMedia({ colorScheme: scheme });
      await page.goto(base + path);
      await page.evaluate(AXE);
      const result = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ["violations"] }));
      for (const v of result.violations.filter((v) => v.impact === "serious" || v.impact === "critical")) {
        const where = v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join("; ");
        fail(`axe ${scheme} ${viewport.width}px /${path}`, `${v.id} (${v.impact}): ${v.help} — ${where}`);
      }
      await page.close();
    }
  }
}

// 7. html-validate: no errors in any HTML file.
async function validHtml() {
  const config = JSON.parse(readFileSync(join(HERE, "htmlvalidate.json"), "utf8"));
  const loader = new StaticConfigLoader(config);
  const validator = new HtmlValidate(loader);
  const files = htmlFiles(site);
  for (const file of files) {
    const report = await validator.validateFile(join(site, file));
    for (const result of report.results) {
      for (const m of result.messages.filter((m) => m.severity === 2)) {
        fail(`html-validate ${file}:${m.line}:${m.column}`, `${m.ruleId}: ${m.message}`);
      }
    }
  }
  console.log(`  ${files.length} files validated`);
}

async function screenshots(base, context, dir) {
  mkdirSync(dir, { recursive: true });
  const shots = [
    ["landing", ""],
    ["guide", "1.1.0/gateway/hosted-fields-psk/"],
  ];
  for (const [name, path] of shots) {
    for (const mode of ["light", "dark", "print"]) {
      const page = await context.newPage();
      await page.setViewportSize({ width: 1200, height: 900 });
      if (mode === "print") await page.emulateMedia({ media: "print", colorScheme: "light" });
      else await page.emulateMedia({ colorScheme: mode });
      await page.goto(base + path);
      await page.screenshot({ path: join(dir, `${name}-${mode}.png`) });
      await page.close();
    }
  }
  console.log(`  screenshots written to ${dir}`);
}

process.chdir(HERE);
const withRules = await serve(site, { redirects: true });
const staticOnly = await serve(site, { redirects: false });
try {
  const context = await browser.newContext();
  const steps = [
    ["every page loads without errors or CSP violations", () => everyPageLoadsClean(withRules.url, context)],
    ["version switcher", () => switcherKeepsThePage(withRules.url, context)],
    ["/latest/ via _redirects", () => latestKeepsTheFragment(withRules.url, context, "_redirects")],
    ["/latest/ via redirect pages", () => latestKeepsTheFragment(staticOnly.url, context, "redirect page")],
    ["search", () => searchFinds(withRules.url, context)],
    ["keyboard", () => keyboardReachesSwitcherAndSearch(withRules.url, context)],
    ["axe-core", () => accessible(withRules.url, context)],
    ["html-validate", () => validHtml()],
  ];
  if (flag === "--screenshots") steps.push(["screenshots", () => screenshots(withRules.url, context, shotsDir)]);
  for (const [name, step] of steps) {
    console.log(`- ${name}`);
    await step();
  }
} finally {
  withRules.close();
  staticOnly.close();
  await browser.close();
}
if (failures.length > 0) {
  console.log(`\n${failures.length} browser check(s) failed`);
  process.exit(1);
}
console.log("\nall browser checks passed");
