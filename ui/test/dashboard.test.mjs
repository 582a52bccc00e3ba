// The dashboard in a real browser (Debian's chromium, driven by
// playwright-core): signs in with a password, then checks the page against
// the API's answer for the same fixture.  Run by tests/integration/
// t_dashboard.sh, which sets up the instance and passes:
//   JD_UI_URL       https://127.0.0.1:<api port>/ui/?tenant=..&from=..&to=..
//   JD_UI_USER, JD_UI_PASSWORD
//   JD_UI_API_JSON  the report as `jianductl report --json` answered it
//   JD_UI_ARTIFACTS where the screenshot and the PDF go
// Prints "ok - ..." / "NOT OK - ..." lines; exits 1 on any failure.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const env = (k) => { if (!process.env[k]) throw new Error(`${k} is not set`); return process.env[k]; };
const url = env('JD_UI_URL');
const origin = new URL(url).origin;
const api = JSON.parse(readFileSync(env('JD_UI_API_JSON'), 'utf8'));
const artifacts = env('JD_UI_ARTIFACTS');

let failed = 0;
function check(name, cond, detail = '') {
  if (cond) console.log(`ok - ${name}`);
  else { failed++; console.log(`NOT OK - ${name}${detail ? `: ${detail}` : ''}`); }
}
const same = (name, got, want) => check(name, JSON.stringify(got) === JSON.stringify(want), `got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);

// The page's writing of a figure, restated here from docs/ui.md (not imported from the page).
const shown = (f, v = f.value) => (f.suppressed || v === null || v === undefined ? '—' : f.unit === 'percent' ? `${v}%` : String(v));
const growth = (g) => { if (g === null || g === undefined) return '—'; const p = Math.round(g * 1000) / 10; return `${p > 0 ? '+' : ''}${p}%`; };
const apiFigures = api.sections.flatMap((s) => s.figures);
const apiFigure = (k) => apiFigures.find((f) => f.key === k);
const HEADLINE = ['cases.leads_disposed', 'cases.cases_filed', 'cases.persons_sanctioned',
  'cases.agencies_filed_share', 'cases.self_handled', 'cases.self_handled_share',
  'cases.leads_self_discovered', 'cases.transferred', 'supervision.talks_person_times',
  'supervision.letters_and_recommendations', 'supervision.items_rectified',
  'supervision.rules_established', 'org.staffing_rate', 'org.posts_moved',
  'org.leadership_posts_moved', 'org.centralized_tenants'];

function parseCsv(text) {
  const rows = []; let row = []; let cell = ''; let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) { if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') q = false; else cell += c; }
    else if (c === '"') q = true;
    else if (c === ',') { row.push(cell); cell = ''; }
    else if (c === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; }
    else if (c !== '\r') cell += c;
  }
  return rows;
}

const browser = await chromium.launch({
  executablePath: process.env.JD_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, acceptDownloads: true, locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = []; const outside = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => { const u = r.url(); if (!u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:')) outside.push(u); });
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });

  // --- a wrong password, in a page of its own (the 401 is logged by the browser)
  const other = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'zh-CN' });
  const wrong = await other.newPage();
  await wrong.goto(url);
  await wrong.waitForSelector('body[data-ready=yes]');
  await wrong.fill('#user', env('JD_UI_USER'));
  await wrong.fill('#password', 'not the password');
  await wrong.click('#signin-form button[type=submit]');
  await wrong.waitForSelector('#signin-error:not(:empty)');
  check('a wrong password is told', (await wrong.textContent('#signin-error')).includes('错误'));
  await other.close();

  // --- sign-in
  await page.goto(url);
  await page.waitForSelector('body[data-ready=yes]');
  check('unsigned, the page asks to sign in', await page.isVisible('#signin-form'));
  same('in Chinese by default', await page.getAttribute('html', 'lang'), 'zh-CN');
  await page.fill('#user', env('JD_UI_USER'));
  await page.fill('#password', env('JD_UI_PASSWORD'));
  await page.click('#signin-form button[type=submit]');
  await page.waitForSelector('body[data-loaded=yes]');
  const cookies = await context.cookies();
  const c = cookies.find((x) => x.name === '__Host-jd_session');
  check('a session cookie is set', Boolean(c));
  check('... HttpOnly, Secure, SameSite=Strict, Path=/', c && c.httpOnly && c.secure && c.sameSite === 'Strict' && c.path === '/', JSON.stringify(c));
  same('... which the page cannot read', await page.evaluate(() => document.cookie), '');
  const html = await page.content();
  check('no token or session secret in the page', !/jd[ts]_[A-Za-z0-9_-]{20}/.test(html));

  // --- headline figures equal the API's
  const cards = await page.$$eval('.card', (els) => els.map((e) => ({
    key: e.dataset.key, value: e.querySelector('.value').textContent, growth: e.querySelector('.growth')?.textContent ?? null,
    def: e.querySelector('a.def')?.getAttribute('href'),
  })));
  const expected = HEADLINE.filter((k) => apiFigure(k));
  same('a card for each headline figure the report has, in order', cards.map((x) => x.key), expected);
  check('at least the cases and organization headlines', expected.length >= 10, `${expected.length}`);
  for (const k of expected) {
    const f = apiFigure(k); const card = cards.find((x) => x.key === k);
    same(`${k}: the page shows ${shown(f)} as the API`, card?.value, shown(f));
    if (f.previous !== null && f.previous !== undefined) same(`${k}: growth ${growth(f.growth)}`, card?.growth?.replace(/^\S+\s/, ''), growth(f.growth));
    same(`${k}: links to its definition`, card?.def, `#def-${k}`);
  }
  check('the period is shown', (await page.textContent('#period')).includes(`${api.from} 至 ${api.to}`));
  check('... with the date of the data', (await page.textContent('#period')).includes('数据截至'));

  // --- each figure's definition
  const first = expected[0];
  await page.click(`.card[data-key="${first}"] a.def`);
  same('the definition link goes to it', await page.evaluate(() => location.hash), `#def-${first}`);
  same('... which says the definition of the API', await page.textContent(`[id="def-${first}"] + dd`), apiFigure(first).definition);

  // --- the figures table, and its CSV
  const table = await page.$$eval('#figures-table tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('th,td')].map((x) => x.textContent.trim())));
  same('the table has a row per figure of the report', table.length - 1, apiFigures.length);
  for (const row of table.slice(1)) {
    const f = apiFigures.find((x) => row[5] === x.key);
    same(`table: ${row[5]} shows the value of the API`, row[2], f ? shown(f) : '(not in the API)');
  }
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('button.csv[data-table=figures-table]')]);
  const csv = readFileSync(await download.path(), 'utf8');
  check('the CSV starts with a BOM (spreadsheets read Chinese)', csv.startsWith('\ufeff'));
  same('the CSV download equals the table', parseCsv(csv.replace(/^\ufeff/, '')), table);
  check('the CSV is named for the tenant and range', download.suggestedFilename().includes(api.tenant), download.suggestedFilename());

  // --- charts and grid are drawn
  const rows = (sel) => page.$$eval(`${sel} tr`, (trs) => trs.map((tr) => [...tr.querySelectorAll('th,td')].map((x) => x.textContent.trim())));
  check('the trend chart is drawn', (await page.$$('#trend canvas')).length > 0);
  const staffing = apiFigure('org.staffing_rate');
  const agencyStaffing = apiFigure('org.agency_staffing_rate');
  check('the fixture has staffing data', staffing && staffing.value !== null, JSON.stringify(staffing));
  check('the staffing chart is drawn', (await page.$$('#staffing canvas')).length > 0);
  same('staffing: the rate and the agencies\' rate as the API, against the rule',
    (await rows('#staffing-table')).slice(1).map((r) => r.slice(1)), [[shown(staffing), shown(agencyStaffing)]]);
  check('staffing: the rule breaches said', (await page.textContent('#staffing-note')).includes(String(apiFigure('org.rule_breaches').value)));
  check('the grid of counties by mode has a row', (await page.$$('#grid-table tbody tr')).length > 0);

  // --- leads by source: every source the cases section declares, stacked by month
  const sources = apiFigures.filter((f) => f.key.startsWith('cases.leads_source_'));
  check('the API has a figure per lead source (7)', sources.length === 7, `${sources.length}`);
  same('sources: a row per source, as the API', (await rows('#sources-table')).slice(1),
    sources.map((f) => [f.label_zh, shown(f), shown(f, f.previous), growth(f.growth)]));
  check('sources: the stacked chart is drawn', (await page.$$('#sources canvas')).length > 0);
  same('sources: together they make the leads received', sources.reduce((n, f) => n + f.value, 0), apiFigure('cases.leads_received').value);

  // --- a county ranks its dispatched agencies, as the API's by=unit answers
  const units = JSON.parse(readFileSync(env('JD_UI_UNIT_API_JSON'), 'utf8'));
  const unitFiled = units.sections.flatMap((x) => x.figures).find((f) => f.key === 'cases.cases_filed');
  same('units ranked: the heading', await page.textContent('#rank-h'), '派驻机构排名');
  same('units ranked by cases filed, as the API answers by=unit', await page.$$eval('#rank-table tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('th,td')].map((x) => x.textContent.trim()))),
    [...unitFiled.by].sort((a, b) => (b.value ?? -1) - (a.value ?? -1)).map((b, i) => [String(i + 1), b.name || b.key, shown(unitFiled, b.value), shown(unitFiled, b.previous)]));
  check('units: the county\'s three agencies', unitFiled.by.length === 3, JSON.stringify(unitFiled.by));

  // --- accessibility (axe), before the screenshot
  await page.evaluate(axeSource);
  const violations = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] })
    .then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }))));
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  same('axe: no serious or critical violation', serious, []);
  await page.screenshot({ path: `${artifacts}/dashboard.png`, fullPage: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${artifacts}/dashboard-top.png` });

  // --- English
  await page.click('#lang');
  await page.waitForSelector('html[lang=en] body[data-loaded=yes]');
  same('the toggle switches to English', await page.textContent('h1'), "Leaders' report");
  same('... figures keep their values', await page.textContent(`.card[data-key="${first}"] .value`), shown(apiFigure(first)));
  same('... and take their English labels', await page.textContent(`.card[data-key="${first}"] h3`), apiFigure(first).label);
  await page.screenshot({ path: `${artifacts}/dashboard-en.png`, fullPage: true });

  // --- print
  await page.emulateMedia({ media: 'print' });
  same('printing hides the controls', await page.$eval('#controls', (e) => getComputedStyle(e).display), 'none');
  same('... and keeps the figures', await page.$eval('#cards', (e) => getComputedStyle(e).display), 'grid');
  await page.pdf({ path: `${artifacts}/dashboard.pdf`, format: 'A4', printBackground: true });
  await page.emulateMedia({ media: 'screen' });

  // --- sign-out
  await page.click('#signout');
  await page.waitForSelector('#signin-form', { state: 'visible' });
  check('sign-out forgets the cookie', !(await context.cookies()).some((x) => x.name === '__Host-jd_session'));

  // --- a city: its counties ranked and in the grid, as the API's by=tenant answers
  if (process.env.JD_UI_CITY_URL) {
    const city = JSON.parse(readFileSync(env('JD_UI_CITY_API_JSON'), 'utf8'));
    const filed = city.sections.flatMap((x) => x.figures).find((f) => f.key === 'cases.cases_filed');
    const cctx = await browser.newContext({ ignoreHTTPSErrors: true, acceptDownloads: true, locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
    const cp = await cctx.newPage();
    cp.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await cp.goto(env('JD_UI_CITY_URL'));
    await cp.waitForSelector('body[data-ready=yes]');
    await cp.fill('#user', env('JD_UI_CITY_USER'));
    await cp.fill('#password', env('JD_UI_PASSWORD'));
    await cp.click('#signin-form button[type=submit]');
    await cp.waitForSelector('body[data-loaded=yes]');
    const rank = await cp.$$eval('#rank-table tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('th,td')].map((x) => x.textContent.trim())));
    const want = [...filed.by].sort((a, b) => (b.value ?? -1) - (a.value ?? -1)).map((b, i) => [String(i + 1), b.name || b.key, shown(filed, b.value), shown(filed, b.previous)]);
    same('city: counties ranked by cases filed, as the API answers by=tenant', rank, want);
    check('city: more than one county', want.length > 1, `${want.length}`);
    const cityStaff = city.sections.flatMap((x) => x.figures).find((f) => f.key === 'org.staffing_rate');
    const cityAgency = city.sections.flatMap((x) => x.figures).find((f) => f.key === 'org.agency_staffing_rate');
    same('city: each county\'s staffing at the end of the period, as the API answers by=tenant',
      (await cp.$$eval('#staffing-table tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('th,td')].map((x) => x.textContent.trim())))),
      cityStaff.by.map((b, i) => [b.name || b.key, shown(cityStaff, b.value), shown(cityAgency, cityAgency.by[i].value)]));
    check('city: staffing bars drawn', (await cp.$$('#staffing canvas')).length > 0);
    const grid = await cp.$$eval('#grid-table tbody th', (ths) => ths.map((x) => x.textContent.trim()));
    same('city: a grid row per county', grid.sort(), filed.by.map((b) => b.name || b.key).sort());
    const rankTable = await cp.$$eval('#rank-table tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('th,td')].map((x) => x.textContent.trim())));
    const [dl] = await Promise.all([cp.waitForEvent('download'), cp.click('button.csv[data-table=rank-table]')]);
    same('city: the ranking CSV equals its table', parseCsv(readFileSync(await dl.path(), 'utf8').replace(/^\ufeff/, '')), rankTable);
    await cp.screenshot({ path: `${artifacts}/dashboard-city.png`, fullPage: true });
    await cctx.close();
  }

  same('no console error', errors, []);
  same('no CSP violation', await page.evaluate(() => window.__csp), []);
  same('no request left the instance', outside, []);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
