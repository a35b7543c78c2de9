// The dashboard's browser test: Debian's Chromium, headless, driven by playwright-core against
// a real server with a real development deployment (tests/dashboard_browser_test.cc sets both
// up and runs this script; docs/dashboard.md "Browser tests"). It finds elements only by the
// accessible names and test ids of the dashboard contract, waits with bounds and never on
// timings, saves screenshots of the main pages and exits non-zero with the failed step's
// name and a screenshot of the page at that moment.
//
// Environment: YARD_URL, YARD_USERNAME, YARD_PASSWORD, YARD_TOKEN (an admin's API token, for
// checks through the API), YARD_PROJECT, YARD_DEPLOYMENT (a development deployment of
// tests/testdata/dashboard-site), YARD_SCREENSHOT_DIR, YARD_CHROMIUM (default
// /usr/bin/chromium); YARD_HEADED=1 shows the browser, YARD_SLOW_MO=MS slows every action.

import assert from 'node:assert/strict';
import http from 'node:http';
import {mkdirSync, mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {chromium} from 'playwright-core';

function env(name, fallback) {
  const value = process.env[name];
  if (value) return value;
  if (fallback !== undefined) return fallback;
  throw new Error(`${name} is not set (see the header of ${path.basename(import.meta.filename)})`);
}

const SERVER = env('YARD_URL').replace(/\/$/, '');
const USERNAME = env('YARD_USERNAME');
const PASSWORD = env('YARD_PASSWORD');
const TOKEN = env('YARD_TOKEN');
const PROJECT = env('YARD_PROJECT');
const DEPLOYMENT = env('YARD_DEPLOYMENT');
const SCREENSHOTS = env('YARD_SCREENSHOT_DIR', path.resolve('screenshots'));
const CHROMIUM = env('YARD_CHROMIUM', '/usr/bin/chromium');
const HEADED = process.env.YARD_HEADED === '1';
const SLOW_MO = Number(process.env.YARD_SLOW_MO || 0);

const CLONE = `${DEPLOYMENT}-copy`;
const GREETING = 'hello-from-browser';
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DEPLOYMENT_PATH = `/projects/${PROJECT}/deployments/${DEPLOYMENT}`;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- The API, from Node (with the admin's token unless told otherwise) ----

async function api(method, apiPath, {body, headers = {}, token = TOKEN} = {}) {
  const sent = {...headers};
  if (token) sent.Authorization = `Bearer ${token}`;
  if (body !== undefined) sent['Content-Type'] = 'application/json';
  const response = await fetch(`${SERVER}/api/v1${apiPath}`, {
    method, headers: sent, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return {status: response.status, json, text};
}

async function deploymentView(name = DEPLOYMENT) {
  const answer = await api('GET', `/projects/${PROJECT}/deployments/${name}`);
  assert.equal(answer.status, 200, `GET deployment ${name}: ${answer.text}`);
  return answer.json;
}

function webService(view) {
  return (view.status.services || []).find((s) => s.id === 'web') || {};
}

// Calls `probe` every `interval` until it returns something truthy; fails after `timeout`
// saying what it waited for and what it saw last.
async function until(what, probe, timeout, interval = SECOND) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await probe();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      const seen = last instanceof Error ? `: ${last.message}` : last === undefined ? '' : ` (last: ${JSON.stringify(last)})`;
      throw new Error(`waited ${timeout / SECOND} s for ${what}${seen}`);
    }
    await sleep(interval);
  }
}

// ---- The page ----

let page;  // the page the steps drive; its screenshot is taken when a step fails
const consoleErrors = [];
const externalRequests = [];
let otherSite = null;  // the origin of the cross-site step's page, ours too

// Waits until `locator` (its first match) is visible; the error names the contract's element.
async function see(locator, what, timeout = 30 * SECOND) {
  try {
    await locator.filter({visible: true}).first().waitFor({state: 'visible', timeout});
  } catch (error) {
    throw new Error(`${what} is not on ${page.url()} after ${timeout / SECOND} s ` +
                    `(${error.message.split('\n')[0]})`);
  }
  return locator.filter({visible: true}).first();
}

async function screenshot(name, target = page, options = {}) {
  const file = path.join(SCREENSHOTS, name);
  await target.screenshot({path: file, animations: 'disabled', ...options});
  console.log(`  screenshot ${file}`);
}

// The form control labelled `label` (an input, select or textarea; a tab panel or a dialog is
// labelled too, by its tab or title).
function control(scope, label) {
  return scope.getByLabel(label, {exact: true}).and(scope.locator('input, select, textarea'));
}

const tab = (name) => page.getByRole('tab', {name, exact: true});

function card(deployment) {
  return page.locator(`[data-testid="deployment-card"][data-project="${PROJECT}"]` +
                      `[data-deployment="${deployment}"]`);
}

// Waits until the element's data-colour is `colour`. The page updates itself; if it has not
// after half the time, it is reloaded now and then (and the test says so) to tell a page that
// does not update from a deployment that does not turn `colour`.
async function waitForColour(locator, colour, what, timeout) {
  const started = Date.now();
  let reloaded = started;
  await until(`${what} to turn ${colour}`, async () => {
    const now = await locator.first().getAttribute('data-colour', {timeout: 5 * SECOND})
      .catch(() => null);
    if (now === colour) return true;
    if (Date.now() - started > timeout / 2 && Date.now() - reloaded > 30 * SECOND) {
      reloaded = Date.now();
      console.log(`  note: ${what} is still ${now} without a reload; reloading`);
      await page.reload();
    }
    return false;
  }, timeout);
}

async function openTab(name) {
  await (await see(tab(name), `tab "${name}"`)).click();
  await until(`tab "${name}" to be selected`,
              async () => (await tab(name).getAttribute('aria-selected')) === 'true', 10 * SECOND, 200);
}

async function signOut() {
  const direct = page.getByRole('button', {name: 'Sign out', exact: true});
  if (await direct.isVisible()) {
    await direct.click();
    return;
  }
  await (await see(page.getByRole('button', {name: 'Account menu', exact: true}),
                   'button "Sign out" or button "Account menu"')).click();
  await (await see(page.getByRole('menuitem', {name: 'Sign out', exact: true}),
                   'menu item "Sign out"')).click();
}

async function fetchFromPage(apiPath, init = {}) {
  return page.evaluate(async ([p, i]) => (await fetch(p, i)).status, [apiPath, init]);
}

// ---- A page on another origin that posts a form to the server ----

function startOtherSite(action) {
  const html = `<!doctype html><title>another site</title>
<form id="f" method="post" action="${action}"><input type="hidden" name="x" value="1"></form>
<script>document.getElementById('f').submit();</script>`;
  const server = http.createServer((request, response) => {
    response.writeHead(200, {'Content-Type': 'text/html'});
    response.end(html);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

// ---- The steps ----

let currentStep = '';
async function step(name, run) {
  currentStep = name;
  const started = Date.now();
  console.log(`▶ ${name}`);
  await run();
  console.log(`✓ ${name} (${((Date.now() - started) / SECOND).toFixed(1)} s)`);
}

async function main(context) {
  page = context.pages()[0] || await context.newPage();

  await step('unauthenticated requests are refused', async () => {
    const bare = await api('GET', '/projects', {token: null});
    assert.equal(bare.status, 401, `GET /api/v1/projects without credentials: ${bare.text}`);
    await page.goto(`${SERVER}/`);
    await page.waitForURL((url) => url.pathname === '/login', {timeout: 30 * SECOND});
    assert.equal(await fetchFromPage('/api/v1/projects'), 401,
                 'GET /api/v1/projects from the sign-in page, before signing in');
  });

  await step('sign in with username and password', async () => {
    const signInButton = await see(page.getByRole('button', {name: 'Sign in', exact: true}),
                                   'button "Sign in"');
    for (const role of ['tab', 'button']) {
      const choice = page.getByRole(role, {name: 'Password', exact: true});
      if (await choice.count()) {
        await choice.first().click();
        break;
      }
    }
    await (await see(control(page, 'Username'), 'input "Username"')).fill(USERNAME);
    const password = await see(control(page, 'Password'), 'input "Password"');
    await password.fill('not-the-password');
    await signInButton.click();
    await see(page.getByRole('alert'), 'the error of a wrong password (role=alert)');
    assert.match(page.url(), /\/login/, 'a wrong password signed in');
    await password.fill(PASSWORD);
    await signInButton.click();
    await page.waitForURL((url) => url.pathname !== '/login', {timeout: 30 * SECOND});
    await see(page.getByRole('heading', {name: 'Projects', exact: true}), 'heading "Projects"');
    const cookies = await context.cookies(SERVER);
    const cookie = cookies.find((c) => c.name === 'yard_session');
    assert.ok(cookie, `no yard_session cookie after signing in: ${JSON.stringify(cookies)}`);
    assert.ok(cookie.httpOnly, 'the session cookie is not HttpOnly');
    assert.equal(cookie.sameSite, 'Strict', 'the session cookie is not SameSite=Strict');
  });

  await step('the projects page shows the deployment turning green', async () => {
    await see(page.getByRole('button', {name: 'New project', exact: true}), 'button "New project"');
    const mine = await see(card(DEPLOYMENT), `deployment-card of ${PROJECT}/${DEPLOYMENT}`);
    await see(mine.getByRole('link', {name: DEPLOYMENT, exact: true}),
              `link "${DEPLOYMENT}" in its card`);
    await see(mine.getByRole('switch', {name: 'Enabled', exact: true}), 'switch "Enabled" in its card');
    await waitForColour(card(DEPLOYMENT), 'green', `the card of ${DEPLOYMENT}`, 5 * MINUTE);
    assert.equal((await deploymentView()).status.colour, 'green', 'the API disagrees with the card');
    // For the picture: the card's endpoint link, once the edge serves it (not a check).
    await mine.getByRole('link', {name: /localhost/}).first()
      .waitFor({state: 'visible', timeout: 15 * SECOND}).catch(() => {});
    await screenshot('projects.png');

    const narrow = await context.newPage();
    try {
      await narrow.setViewportSize({width: 390, height: 844});
      await narrow.goto(`${SERVER}/`);
      await narrow.locator(`[data-testid="deployment-card"][data-deployment="${DEPLOYMENT}"]`)
        .first().waitFor({state: 'visible', timeout: 30 * SECOND});
      await screenshot('projects-narrow.png', narrow, {fullPage: true});
    } finally {
      await narrow.close();
    }
  });

  await step('a cross-site form post and a foreign Origin are refused', async () => {
    const before = await deploymentView();
    const action = `${SERVER}/api/v1${DEPLOYMENT_PATH}/stop`;
    const other = await startOtherSite(action);
    const otherPage = await context.newPage();
    try {
      otherSite = `http://127.0.0.1:${other.address().port}`;
      const otherUrl = `${otherSite}/`;
      const answered = otherPage.waitForResponse((r) => r.url() === action, {timeout: 30 * SECOND});
      await otherPage.goto(otherUrl);
      const response = await answered;
      const sent = await response.request().allHeaders();
      // Another port of 127.0.0.1 is the same site, so the SameSite cookie goes along and the
      // CSRF check alone must refuse the post (403); were the cookie dropped, it would be
      // unauthenticated (401).
      const withCookie = Boolean(sent.cookie && sent.cookie.includes('yard_session='));
      const expected = withCookie ? [403] : [401, 403];
      assert.ok(expected.includes(response.status()),
                `a form post from ${otherUrl} (cookie ${withCookie ? 'sent' : 'not seen'}) ` +
                `answered ${response.status()}: ${await response.text()}`);
      console.log(`  form post from ${otherUrl}: ${response.status()}, cookie ${withCookie ? 'sent' : 'not seen'}`);
    } finally {
      await otherPage.close();
      other.close();
    }

    const cookie = (await context.cookies(SERVER)).find((c) => c.name === 'yard_session');
    const foreign = await api('POST', `${DEPLOYMENT_PATH}/stop`, {
      token: null, body: {},
      headers: {Cookie: `yard_session=${cookie.value}`, Origin: 'http://evil.example'},
    });
    assert.equal(foreign.status, 403,
                 `a cookie request with Origin http://evil.example and no CSRF token: ${foreign.text}`);
    const noToken = await api('POST', `${DEPLOYMENT_PATH}/stop`, {
      token: null, body: {}, headers: {Cookie: `yard_session=${cookie.value}`},
    });
    assert.equal(noToken.status, 403, `a cookie request without a CSRF token: ${noToken.text}`);
    assert.match(noToken.text, /cross-site request refused/);

    const after = await deploymentView();
    assert.equal(after.desired, 'running', 'a refused request stopped the deployment');
    assert.equal(after.version, before.version, 'a refused request changed the deployment');
  });

  await step('the deployment page', async () => {
    await (await see(card(DEPLOYMENT).getByRole('link', {name: DEPLOYMENT, exact: true}),
                     `link "${DEPLOYMENT}"`)).click();
    await page.waitForURL((url) => url.pathname.startsWith(DEPLOYMENT_PATH), {timeout: 30 * SECOND});
    await see(page.getByRole('heading', {name: DEPLOYMENT, exact: true}), `heading "${DEPLOYMENT}"`);
    for (const name of ['Overview', 'Logs', 'Builds', 'Events', 'Env & params', 'Actions', 'Settings']) {
      await see(tab(name), `tab "${name}"`);
    }
    await waitForColour(page.getByTestId('deployment-colour'), 'green', 'deployment-colour', 2 * MINUTE);
    if ((await deploymentView()).ssh) {
      await see(page.getByTestId('ssh-command'), 'ssh-command');
      await see(page.getByRole('button', {name: 'Copy SSH command', exact: true}),
                'button "Copy SSH command"');
    }
    await screenshot('deployment-overview.png');
  });

  await step('the Logs tab follows new lines', async () => {
    await openTab('Logs');
    await see(control(page, 'Search'), 'input "Search"');
    await (await see(control(page, 'Component'), 'select "Component"')).selectOption('web');
    const follow = await see(control(page, 'Follow'), 'checkbox "Follow"');
    if (!(await follow.isChecked())) await follow.check();
    const followedAt = Math.floor(Date.now() / SECOND);
    await see(page.getByTestId('log-lines'), 'log-lines');
    // The app prints "tick N at UNIX-SECONDS": a line from after following started.
    const fresh = await until('a log-line printed after Follow was turned on', async () => {
      for (const text of await page.getByTestId('log-line').allTextContents()) {
        const match = /tick (\d+) at (\d+)/.exec(text);
        if (match && Number(match[2]) > followedAt) return text.trim();
      }
      return false;
    }, MINUTE, 500);
    console.log(`  new line: ${fresh}`);
    await screenshot('logs.png');
  });

  await step('an env variable added in the Env & params tab restarts the component', async () => {
    const before = webService(await deploymentView());
    await openTab('Env & params');
    await (await see(page.getByRole('button', {name: 'Add variable', exact: true}),
                     'button "Add variable"')).click();
    const dialog = await see(page.getByRole('dialog'), 'the "Add variable" dialog');
    await (await see(control(dialog, 'Name'), 'dialog field "Name"')).fill('GREETING');
    await (await see(control(dialog, 'Value'), 'dialog field "Value"')).fill(GREETING);
    await (await see(control(dialog, 'Component'), 'dialog field "Component"'))
      .selectOption('web');
    const secret = await see(control(dialog, 'Secret'), 'dialog field "Secret"');
    if (await secret.isChecked()) await secret.uncheck();
    await dialog.getByRole('button', {name: 'Save', exact: true}).click();
    await see(page.locator('[data-testid="env-row"][data-name="GREETING"]').filter({hasText: GREETING}),
              `env-row GREETING showing ${GREETING}`);
    await screenshot('env.png');

    // Through the API: the override is there, and web runs in a new container with it.
    const listed = await api('GET', `${DEPLOYMENT_PATH}/env?component=web`);
    const variable = listed.json.variables.find((v) => v.name === 'GREETING');
    assert.equal(variable.value, GREETING, `GREETING: ${JSON.stringify(variable)}`);
    assert.equal(variable.origin, 'override');
    await until('web to run in a new container', async () => {
      const now = webService(await deploymentView());
      return now.state === 'running' &&
             (now.container !== before.container || now.started_at !== before.started_at);
    }, 3 * MINUTE);
    await until(`a log line of web with greeting=${GREETING} (API)`, async () => {
      const logs = await api('GET', `${DEPLOYMENT_PATH}/logs?service=web&tail=1&grep=greeting%3D${GREETING}`);
      return logs.status === 200 && logs.json.lines.length > 0;
    }, 2 * MINUTE);

    // And in the page: the restarted app's lines carry the new value.
    await openTab('Logs');
    await (await see(control(page, 'Component'), 'select "Component"')).selectOption('web');
    const follow = await see(control(page, 'Follow'), 'checkbox "Follow"');
    if (!(await follow.isChecked())) await follow.check();
    await see(page.getByTestId('log-line').filter({hasText: `greeting=${GREETING}`}),
              `a log-line with greeting=${GREETING}`, 2 * MINUTE);
  });

  await step('Settings: clone, then delete the clone with its name typed', async () => {
    await openTab('Settings');
    await (await see(page.getByRole('button', {name: 'Clone', exact: true}), 'button "Clone"')).click();
    const dialog = await see(page.getByRole('dialog'), 'the clone dialog');
    await (await see(control(dialog, 'Name'), 'clone field "Name"')).fill(CLONE);
    await (await see(control(dialog, 'Stage'), 'clone field "Stage"'))
      .selectOption('development');
    await see(control(dialog, 'Size'), 'clone field "Size"');
    await screenshot('clone.png');
    await dialog.getByRole('button', {name: 'Start clone', exact: true}).click();
    // The progress shows while the copy runs; a small copy may be done before it is looked
    // for, and the page may then have gone on to the clone.
    const progress = page.getByTestId('clone-progress');
    await until('clone-progress (or the clone\'s page)', async () =>
      (await progress.count()) > 0 || page.url().includes(`/deployments/${CLONE}`), 30 * SECOND, 100);
    const copied = await until('the copy to finish (API)', async () => {
      const answer = await api('GET', `/projects/${PROJECT}/deployments/${CLONE}/clone`);
      if (answer.json && answer.json.state === 'failed') throw new Error(answer.text);
      return answer.json && answer.json.state === 'done' && answer.json;
    }, 10 * MINUTE);
    console.log(`  copied ${copied.bytes_total} bytes`);

    await (await see(page.getByRole('link', {name: 'Projects', exact: true}), 'link "Projects"')).click();
    await see(card(CLONE), `deployment-card of ${CLONE}`, MINUTE);
    await waitForColour(card(CLONE), 'green', `the card of ${CLONE}`, 5 * MINUTE);
    await card(CLONE).getByRole('link', {name: CLONE, exact: true}).click();
    await see(page.getByRole('heading', {name: CLONE, exact: true}), `heading "${CLONE}"`);

    await openTab('Settings');
    await (await see(page.getByRole('button', {name: 'Delete deployment', exact: true}),
                     'button "Delete deployment"')).click();
    const confirm = await see(page.getByRole('dialog'), 'the delete dialog');
    const typed = await see(control(confirm, "Type the deployment's name to confirm"),
                            'field "Type the deployment\'s name to confirm"');
    const remove = confirm.getByRole('button', {name: 'Delete', exact: true});
    assert.ok(await remove.isDisabled(), '"Delete" is enabled before the name is typed');
    await typed.fill(DEPLOYMENT);
    assert.ok(await remove.isDisabled(), `"Delete" is enabled with "${DEPLOYMENT}" typed`);
    await typed.fill(CLONE);
    await until('"Delete" to be enabled once the name matches', () => remove.isEnabled(), 5 * SECOND, 100);
    await remove.click();
    await until(`${CLONE} to be gone (API)`, async () =>
      (await api('GET', `/projects/${PROJECT}/deployments/${CLONE}`)).status === 404, 5 * MINUTE);
    assert.equal((await deploymentView()).desired, 'running', `deleting ${CLONE} touched ${DEPLOYMENT}`);

    await page.goto(`${SERVER}/`);
    await see(card(DEPLOYMENT), `deployment-card of ${DEPLOYMENT}`);
    await until(`the card of ${CLONE} to disappear`, async () => {
      if ((await card(CLONE).count()) === 0) return true;
      await page.reload();
      await see(card(DEPLOYMENT), `deployment-card of ${DEPLOYMENT}`);
      return (await card(CLONE).count()) === 0;
    }, MINUTE, 2 * SECOND);
  });

  await step('sign out', async () => {
    const cookie = (await context.cookies(SERVER)).find((c) => c.name === 'yard_session');
    await signOut();
    await page.waitForURL((url) => url.pathname === '/login', {timeout: 30 * SECOND});
    await see(page.getByRole('button', {name: 'Sign in', exact: true}), 'button "Sign in"');
    assert.equal(await fetchFromPage('/api/v1/projects'), 401, 'GET /api/v1/projects after signing out');
    const old = await api('GET', '/projects', {token: null, headers: {Cookie: `yard_session=${cookie.value}`}});
    assert.equal(old.status, 401, `the signed-out session's cookie still works: ${old.text}`);
  });

  assert.deepEqual(externalRequests, [], 'the dashboard made requests to other servers');
}

async function run() {
  mkdirSync(SCREENSHOTS, {recursive: true});
  const profile = mkdtempSync(path.join(tmpdir(), 'yard-browser-'));
  const args = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                '--disable-background-networking', '--disable-component-update', '--disable-sync'];
  if (!HEADED) args.unshift('--headless');
  let context;
  try {
    // A persistent context is the one way to give Chromium a --user-data-dir of our own.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: !HEADED, args, slowMo: SLOW_MO,
      viewport: {width: 1280, height: 860}, colorScheme: 'light', locale: 'en-GB',
      timezoneId: 'UTC',
    });
    context.setDefaultTimeout(30 * SECOND);
    context.on('page', (p) => watch(p));
    for (const p of context.pages()) watch(p);
    await main(context);
    console.log('all steps passed');
    return 0;
  } catch (error) {
    console.error(`✗ ${currentStep}: ${error.stack || error}`);
    if (page && !page.isClosed()) {
      console.error(`  at ${page.url()}`);
      await screenshot(`failure-${currentStep.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`)
        .catch((e) => console.error(`  no screenshot: ${e.message}`));
    }
    if (consoleErrors.length) console.error(`  the page's console errors:\n    ${consoleErrors.join('\n    ')}`);
    return 1;
  } finally {
    if (context) await context.close().catch(() => {});
    rmSync(profile, {recursive: true, force: true});
  }
}

function watch(p) {
  p.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(`${p.url()}: ${message.text()}`);
  });
  p.on('pageerror', (error) => consoleErrors.push(`${p.url()}: uncaught ${error.message}`));
  p.on('request', (request) => {
    const url = request.url();
    if (/^(https?|wss?):/.test(url) && !url.startsWith(`${SERVER}/`) &&
        !(otherSite && url.startsWith(`${otherSite}/`))) {
      externalRequests.push(url);
    }
  });
}

process.exitCode = await run();
