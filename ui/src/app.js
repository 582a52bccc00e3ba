// The leaders' dashboard: signs in (a session cookie the page never sees),
// reads GET /v1/report three ways (the range, by month, by county) and
// shows it.  It only reads: no write is offered.
import { clear, draw, resizeAll } from './charts.js';
import { downloadTable } from './csv.js';
import { figureMap, figures, fmtGrowth, fmtValue } from './format.js';
import { label, strings } from './i18n.js';

const HEADLINE = [
  'cases.leads_disposed', 'cases.cases_filed', 'cases.persons_sanctioned',
  'cases.agencies_filed_share', 'cases.self_handled', 'cases.self_handled_share',
  'cases.leads_self_discovered', 'cases.transferred', 'supervision.talks_person_times',
  'supervision.letters_and_recommendations', 'supervision.items_rectified',
  'supervision.rules_established', 'org.staffing_rate', 'org.posts_moved',
  'org.leadership_posts_moved', 'org.centralized_tenants',
];
const MODES = ['task_force', 'area', 'joint_group'];

const $ = (id) => document.getElementById(id);
const state = { lang: 'zh', session: null, report: null, byMonth: null, byTenant: null, byUnit: null, error: null };
// A roll-up ranks its counties; a county-level tenant its dispatched agencies (by=unit).
const ROLLUPS = ['province', 'municipality', 'city'];
const t = (k, ...a) => { const s = strings[state.lang][k]; return typeof s === 'function' ? s(...a) : s; };

function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'text') e.textContent = v; else if (v !== undefined && v !== null) e.setAttribute(k, v);
  }
  e.append(...kids);
  return e;
}

async function api(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const json = await res.json().catch(() => ({}));
  return { status: res.status, json };
}

// ---- sign-in ------------------------------------------------------------

function showSignIn(message = '') {
  state.session = null;
  $('signin').hidden = false;
  $('dashboard').hidden = true;
  $('signout').hidden = true;
  $('who').textContent = '';
  $('signin-error').textContent = message;
}

async function signedIn(session) {
  state.session = session;
  $('signin').hidden = true;
  $('dashboard').hidden = false;
  $('signout').hidden = false;
  $('who').textContent = t('signed_in', session.user);
  if (!$('tenant').value) $('tenant').value = (session.tenants || '').split(',')[0] || '';
  await load();
}

async function signIn(body) {
  const r = await api('POST', '/v1/session', body);
  $('password').value = '';
  if (r.status === 201) await signedIn(r.json);
  else showSignIn(r.status === 401 ? t('bad_signin') : t('error', r.json.error?.message || r.status));
}

// ---- loading the report ---------------------------------------------------

function query(extra) {
  const q = new URLSearchParams({ tenant: $('tenant').value, from: $('from').value, to: $('to').value, compare: 'previous-year', ...extra });
  return `/v1/report?${q}`;
}

async function load() {
  const p = new URLSearchParams({ tenant: $('tenant').value, from: $('from').value, to: $('to').value, lang: state.lang });
  history.replaceState(null, '', `?${p}`);
  document.body.dataset.loaded = 'no';
  $('status').textContent = t('loading');
  const [main, month, county] = await Promise.all([
    api('GET', query({})), api('GET', query({ by: 'month' })), api('GET', query({ by: 'tenant' })),
  ]);
  if (main.status === 401) { showSignIn(); return; }
  state.report = main.status === 200 ? main.json : null;
  state.byMonth = month.status === 200 ? month.json : null;
  state.byTenant = county.status === 200 ? county.json : null;
  state.byUnit = null;
  if (main.status === 200 && !ROLLUPS.includes(main.json.level)) {
    const unit = await api('GET', query({ by: 'unit' }));
    state.byUnit = unit.status === 200 ? unit.json : null;
  }
  state.error = main.status === 200 ? null : `${t('no_report')}${main.json.error?.message || main.status}`;
  render();
  $('status').textContent = state.error || t('loaded');
  document.body.dataset.loaded = 'yes';
}

// ---- rendering -------------------------------------------------------------

function defLink(key) {
  return el('a', { href: `#def-${key}`, class: 'def', text: t('definition') });
}

function card(f) {
  const kids = [el('h3', { text: label(f, state.lang) }),
    el('p', { class: 'value', 'data-value': f.value ?? '', text: fmtValue(f) })];
  if (f.of !== undefined) kids.push(el('p', { class: 'of', text: t('of', f.of) }));
  if (f.suppressed) kids.push(el('p', { class: 'note', text: t('suppressed') }));
  if (f.previous !== undefined && f.previous !== null) {
    kids.push(el('p', { class: 'growth', text: `${t('growth')} ${fmtGrowth(f.growth)}` }),
      el('p', { class: 'prev', text: `${t('previous')} ${fmtValue(f, f.previous)}` }));
  }
  kids.push(defLink(f.key));
  return el('article', { class: 'card', 'data-key': f.key }, ...kids);
}

function renderHead(r) {
  $('period').textContent = r ? `${t('period', r)}${t('sep')}${t('as_of', r.as_of)}` : '';
  $('missing').textContent = r?.missing?.length
    ? t('missing', r.missing.map((m) => `${m.section}${t('open')}${m.reason}${t('close')}`).join(t('comma'))) : '';
  const map = r ? figureMap(r) : new Map();
  $('cards').replaceChildren(...HEADLINE.filter((k) => map.has(k)).map((k) => card(map.get(k))));
}

function fillSelect(sel, list, preferred) {
  const keep = sel.value || preferred;
  sel.replaceChildren(...list.map((f) => el('option', { value: f.key, text: label(f, state.lang) })));
  if (list.some((f) => f.key === keep)) sel.value = keep;
}

function renderTrend() {
  const list = state.byMonth ? figures(state.byMonth).filter((f) => f.by?.length) : [];
  fillSelect($('trend-key'), list, 'cases.cases_filed');
  const f = list.find((x) => x.key === $('trend-key').value);
  $('trend-note').textContent = f ? '' : t('no_months');
  if (!f) { clear($('trend'), t('no_months')); return; }
  const months = f.by.map((b) => b.key);
  draw($('trend'), {
    tooltip: { trigger: 'axis' }, legend: { top: 0 },
    xAxis: { type: 'category', data: months }, yAxis: { type: 'value', minInterval: 1 },
    series: [
      { name: t('this_year'), type: 'line', data: f.by.map((b) => b.value) },
      { name: t('last_year'), type: 'line', lineStyle: { type: 'dashed' }, data: f.by.map((b) => b.previous) },
    ],
  }, `${label(f, state.lang)}: ${f.by.map((b) => `${b.key} ${b.value ?? '—'} / ${b.previous ?? '—'}`).join('; ')}`);
}

function byCounty(key) {
  const f = state.byTenant ? figureMap(state.byTenant).get(key) : null;
  return f?.by?.length ? f : null;
}

function renderRank() {
  const units = Boolean(state.byUnit);
  const source = units ? state.byUnit : state.byTenant;
  const list = source ? figures(source).filter((f) => f.by?.length) : [];
  $('rank-h').textContent = t(units ? 'ranking_units' : 'ranking');
  fillSelect($('rank-key'), list, 'cases.cases_filed');
  const f = list.find((x) => x.key === $('rank-key').value);
  const table = $('rank-table');
  table.dataset.by = units ? 'unit' : 'tenant';
  $('rank-note').textContent = f ? '' : t(units ? 'no_units' : 'no_counties');
  if (!f) { clear($('rank'), t(units ? 'no_units' : 'no_counties')); table.replaceChildren(); return; }
  const rows = [...f.by].sort((a, b) => (b.value ?? -1) - (a.value ?? -1));
  table.replaceChildren(
    el('caption', { text: label(f, state.lang) }),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: '#' }), el('th', { scope: 'col', text: t(units ? 'unit' : 'county') }),
      el('th', { scope: 'col', text: t('value') }), el('th', { scope: 'col', text: t('previous') }))),
    el('tbody', {}, ...rows.map((b, i) => el('tr', {}, el('td', { text: String(i + 1) }),
      el('th', { scope: 'row', text: b.name || b.key }), el('td', { text: fmtValue(f, b.value) }),
      el('td', { text: fmtValue(f, b.previous) })))));
  const shown = [...rows].reverse();
  draw($('rank'), {
    tooltip: {}, grid: { left: 140 },
    xAxis: { type: 'value' }, yAxis: { type: 'category', data: shown.map((b) => b.name || b.key) },
    series: [{ type: 'bar', name: label(f, state.lang), data: shown.map((b) => b.value) }],
  }, `${label(f, state.lang)}: ${rows.map((b) => `${b.name || b.key} ${b.value ?? '—'}`).join('; ')}`);
}

// Every lead source the cases section declares (cases.leads_source_<source>), stacked by month.
const SOURCE_PREFIX = 'cases.leads_source_';

function renderSources() {
  const main = state.report ? figures(state.report).filter((f) => f.key.startsWith(SOURCE_PREFIX)) : [];
  const map = state.byMonth ? figureMap(state.byMonth) : new Map();
  const monthly = main.map((f) => map.get(f.key)).filter((f) => f?.by?.length);
  $('sources-table').replaceChildren(...(main.length ? [
    el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: t('source') }),
      el('th', { scope: 'col', text: t('value') }), el('th', { scope: 'col', text: t('previous') }),
      el('th', { scope: 'col', text: t('growth') }))),
    el('tbody', {}, ...main.map((f) => el('tr', { 'data-key': f.key }, el('th', { scope: 'row', text: label(f, state.lang) }),
      el('td', { text: fmtValue(f) }), el('td', { text: fmtValue(f, f.previous) }), el('td', { text: fmtGrowth(f.growth) }))))] : []));
  $('sources-note').textContent = monthly.length ? '' : t('no_months');
  if (!monthly.length) { clear($('sources'), t('no_months')); return; }
  const months = monthly[0].by.map((b) => b.key);
  draw($('sources'), {
    tooltip: { trigger: 'axis' }, legend: { top: 0, type: 'scroll' }, grid: { top: 40 },
    xAxis: { type: 'category', data: months }, yAxis: { type: 'value', minInterval: 1 },
    series: monthly.map((f) => ({ name: label(f, state.lang), type: 'bar', stack: 'leads', data: f.by.map((b) => b.value) })),
  }, monthly.map((f) => `${label(f, state.lang)}: ${f.by.map((b) => b.value ?? '—').join(', ')}`).join('; '));
}

// Each county's staffing rate (and its agencies') at the end of the period, against the full posts.
function renderStaffing() {
  const main = state.report ? figureMap(state.report) : new Map();
  const f = byCounty('org.staffing_rate');
  const fa = byCounty('org.agency_staffing_rate');
  const own = main.get('org.staffing_rate');
  const ownAgency = main.get('org.agency_staffing_rate');
  const bars = f ? f.by.map((b) => ({ key: b.key, name: b.name || b.key, value: b.value, agency: fa?.by.find((x) => x.key === b.key)?.value ?? null }))
    : own ? [{ key: state.report.tenant, name: state.report.name || state.report.tenant, value: own.value, agency: ownAgency?.value ?? null }] : [];
  const breaches = main.get('org.rule_breaches');
  const none = !bars.some((b) => b.value !== null && b.value !== undefined);
  $('staffing-note').textContent = [none ? t('no_staffing') : '', breaches ? t('breaches', fmtValue(breaches)) : '']
    .filter(Boolean).join(t('sep'));
  $('staffing-table').replaceChildren(...(none ? [] : [
    el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: t('county') }),
      el('th', { scope: 'col', text: label(own || f, state.lang) }), el('th', { scope: 'col', text: label(ownAgency || fa || {}, state.lang) }))),
    el('tbody', {}, ...bars.map((b) => el('tr', { 'data-key': b.key }, el('th', { scope: 'row', text: b.name }),
      el('td', { text: fmtValue({ unit: 'percent' }, b.value) }), el('td', { text: fmtValue({ unit: 'percent' }, b.agency) }))))]));
  if (none) { clear($('staffing'), t('no_staffing')); return; }
  draw($('staffing'), {
    tooltip: {}, legend: { top: 0 }, xAxis: { type: 'category', data: bars.map((b) => b.name) },
    yAxis: { type: 'value', max: (v) => Math.max(100, Math.ceil(v.max / 10) * 10), axisLabel: { formatter: '{value}%' } },
    series: [{
      type: 'bar', name: label(own || f, state.lang), data: bars.map((b) => b.value),
      markLine: { symbol: 'none', data: [{ yAxis: 100, name: t('rule') }], label: { formatter: t('rule') } },
    }, { type: 'bar', name: label(ownAgency || fa || {}, state.lang), data: bars.map((b) => b.agency) }],
  }, `${t('staffing')}: ${bars.map((b) => `${b.name} ${b.value ?? '—'}% / ${b.agency ?? '—'}%`).join('; ')}`);
}

function renderGrid() {
  const main = state.report ? figureMap(state.report) : new Map();
  const cols = [['org.centralized_tenants', 'centralized'], ...MODES.map((m) => [`org.modes_${m}`, m])];
  const per = cols.map(([k]) => byCounty(k));
  let rows;
  if (per.some(Boolean)) {
    const names = new Map();
    per.forEach((f) => f?.by.forEach((b) => names.set(b.key, b.name || b.key)));
    rows = [...names].map(([key, name]) => [name, ...per.map((f) => f?.by.find((b) => b.key === key)?.value)]);
  } else if (state.report) {
    rows = [[state.report.tenant, ...cols.map(([k]) => main.get(k)?.value)]];
  } else rows = [];
  const mark = (v) => (v === null || v === undefined ? '—' : v > 0 ? t('yes') : t('no'));
  $('grid-table').replaceChildren(
    el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: t('county') }),
      ...cols.map(([, n]) => el('th', { scope: 'col', text: t(n) })))),
    el('tbody', {}, ...rows.map(([name, ...v]) => el('tr', {}, el('th', { scope: 'row', text: name }),
      ...v.map((x) => el('td', { text: mark(x) }))))));
}

function renderAll() {
  const list = state.report ? figures(state.report) : [];
  $('figures-table').replaceChildren(
    el('thead', {}, el('tr', {}, ...[t('section'), t('figure'), t('value'), t('previous'), t('growth'), t('definition')]
      .map((h) => el('th', { scope: 'col', text: h })))),
    el('tbody', {}, ...list.map((f) => el('tr', { 'data-key': f.key },
      el('td', { text: label(f.section, state.lang, 'title') }), el('th', { scope: 'row', text: label(f, state.lang) }),
      el('td', { text: fmtValue(f) }), el('td', { text: fmtValue(f, f.previous) }),
      el('td', { text: fmtGrowth(f.growth) }), el('td', {}, el('a', { href: `#def-${f.key}`, text: f.key }))))));
  $('definitions').replaceChildren(...list.flatMap((f) => [
    el('dt', { id: `def-${f.key}`, text: `${label(f, state.lang)}${t('open')}${f.key}${t('close')}` }), el('dd', { text: f.definition || '' })]));
}

function renderWords() {
  document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
  document.title = t('title');
  for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  $('lang').textContent = t('lang');
  $('lang').setAttribute('lang', state.lang === 'zh' ? 'en' : 'zh-CN');
  if (state.session) $('who').textContent = t('signed_in', state.session.user);
}

function render() {
  renderWords();
  renderHead(state.report);
  renderTrend();
  renderRank();
  renderSources();
  renderStaffing();
  renderGrid();
  renderAll();
}

// ---- start -------------------------------------------------------------------

function initControls() {
  const p = new URLSearchParams(location.search);
  const today = new Date().toISOString().slice(0, 10);
  state.lang = p.get('lang') === 'en' ? 'en' : 'zh';
  $('tenant').value = p.get('tenant') || '';
  $('from').value = p.get('from') || `${today.slice(0, 4)}-01-01`;
  $('to').value = p.get('to') || today;
  $('controls').addEventListener('submit', (e) => { e.preventDefault(); load(); });
  $('signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    signIn({ user: $('user').value, password: $('password').value });
  });
  $('cert-signin').addEventListener('click', () => signIn(undefined));
  $('signout').addEventListener('click', async () => { await api('DELETE', '/v1/session'); showSignIn(); });
  $('lang').addEventListener('click', () => {
    state.lang = state.lang === 'zh' ? 'en' : 'zh';
    if (state.session) load(); else renderWords();
  });
  $('print').addEventListener('click', () => window.print());
  $('trend-key').addEventListener('change', renderTrend);
  $('rank-key').addEventListener('change', renderRank);
  for (const b of document.querySelectorAll('button.csv')) {
    b.addEventListener('click', () => downloadTable($(b.dataset.table), `${b.dataset.table}-${$('tenant').value}-${$('from').value}-${$('to').value}.csv`));
  }
  window.addEventListener('resize', resizeAll);
  window.addEventListener('beforeprint', resizeAll);
}

async function start() {
  initControls();
  renderWords();
  const r = await api('GET', '/v1/session');
  if (r.status === 200 && r.json.signed_in) await signedIn(r.json); else showSignIn();
  document.body.dataset.ready = 'yes';
}

start();
