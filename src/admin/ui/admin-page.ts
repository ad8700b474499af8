/**
 * The admin page's script (GET /admin/ui). A classic browser script, not a module: no import or
 * export. scripts/build-admin-ui.ts compiles it into the string src/admin/ui-page.ts inlines and
 * pins by hash in the CSP, so the page needs nothing but itself (no CDN). Type-checked with the
 * DOM lib by src/admin/ui/tsconfig.json, apart from the server program. Everything the server or a
 * CRM answer says is written with textContent, never as HTML.
 */
'use strict';

// Answers of the admin API that the page reads; the server's side is src/admin/schemas.ts.
interface RuleError { file: string; path: string; message: string }
interface RuleErrors { error: string; errors: RuleError[] }
interface RuleFilesList { files: { path: string; etag: string }[] }
interface RuleFileWritten { path: string; etag: string }
interface Decision { source: string; rowIndex?: number; [key: string]: unknown }
interface RuleTestRow { index: number; key: string; values: unknown[]; matched: boolean }
interface RuleTestResult { decision: Decision; rows: RuleTestRow[]; crm?: Record<string, unknown> }
interface Delivery { id: string; leadId: string | null; destination: string; event: string; state: string; attemptCount: number; dialerLeadId: string | null; lastAnswer: string | null }
interface DeliveriesPage { total: number; deliveries: Delivery[] }

interface ApiAnswer {
  status: number;
  /** the body parsed as JSON, null when it is not JSON */
  json: unknown;
  text: string;
  etag: string;
}

type StatusKind = 'info' | 'ok' | 'error';
/** a text area's JSON, or why it is not JSON */
type Parsed = { value: unknown; error?: undefined } | { value?: undefined; error: string };

const TOKEN_KEY = 'leadgate-admin-token';

/** The page's element with this id, of this type; the page is static, so a missing one is a bug. */
function byId<T extends HTMLElement>(id: string, type: { new (): T; prototype: T }): T {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error('#' + id + ' is missing or not a ' + type.name);
  return el;
}
const $ = (id: string) => byId(id, HTMLElement);
const input = (id: string) => byId(id, HTMLInputElement);
const textarea = (id: string) => byId(id, HTMLTextAreaElement);

// the API lives beside the page: /admin/ui -> /admin/
const BASE = location.pathname.replace(/\/ui\/?$/, '/');
const state: { path: string | null; etag: string; isNew: boolean; validateTimer: number | undefined; validation: number } = {
  path: null,
  etag: '',
  isNew: false,
  validateTimer: undefined,
  validation: 0,
};

function token(): string { return sessionStorage.getItem(TOKEN_KEY) || ''; }
function encodePath(path: string): string { return path.split('/').map(encodeURIComponent).join('/'); }
function setStatus(id: string, text: string, kind?: StatusKind): void { const el = $(id); el.textContent = text; el.dataset.kind = kind || 'info'; }

/** The `error` of an answer's JSON body, if it has one. */
function errorOf(json: unknown): string | undefined {
  return typeof json === 'object' && json !== null && 'error' in json && typeof json.error === 'string' ? json.error : undefined;
}

/**
 * Runs what an event started; a failure (the server unreachable, an answer not of the expected
 * shape) is shown in the status line beside it, not lost as an unhandled rejection.
 */
function run(statusId: string, action: () => Promise<void>): void {
  action().catch((error: unknown) => setStatus(statusId, 'failed: ' + (error instanceof Error ? error.message : String(error)), 'error'));
}

async function api(method: string, url: string, body?: string, headers?: Record<string, string>): Promise<ApiAnswer> {
  const init: RequestInit = { method, headers: Object.assign({ authorization: 'Bearer ' + token() }, headers || {}) };
  if (body !== undefined) init.body = body;
  const res = await fetch(BASE + url, init);
  const text = await res.text();
  let json: unknown = null;
  try { json = JSON.parse(text); } catch { json = null; }
  if (res.status === 401 || res.status === 403) setStatus('token-status', errorOf(json) || 'not authorised', 'error');
  return { status: res.status, json, text, etag: (res.headers.get('etag') || '').replace(/^"|"$/g, '') };
}

async function loadFiles(): Promise<void> {
  const res = await api('GET', 'rules');
  const list = $('files');
  list.replaceChildren();
  if (res.status !== 200) return;
  setStatus('token-status', 'token accepted', 'ok');
  for (const file of (res.json as RuleFilesList).files) {
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = file.path;
    button.dataset.path = file.path;
    button.addEventListener('click', () => run('save-status', () => openFile(file.path)));
    item.append(button);
    list.append(item);
  }
}

async function openFile(path: string): Promise<void> {
  const res = await api('GET', 'rules/' + encodePath(path));
  if (res.status !== 200) { setStatus('save-status', errorOf(res.json) || 'cannot open ' + path, 'error'); return; }
  showEditor(path, res.text, res.etag, false);
}

function showEditor(path: string, text: string, etag: string, isNew: boolean): void {
  Object.assign(state, { path, etag, isNew });
  $('editor-path').textContent = path;
  $('editor-etag').textContent = isNew ? 'new file' : 'ETag ' + etag.slice(0, 12);
  textarea('editor').value = text;
  $('editor-section').hidden = false;
  $('validation').replaceChildren();
  setStatus('validation-status', '', 'info');
  setStatus('save-status', '', 'info');
  scheduleValidation();
}

function showErrors(errors: readonly RuleError[]): void {
  const list = $('validation');
  list.replaceChildren();
  for (const e of errors) {
    const item = document.createElement('li');
    item.className = 'error';
    item.textContent = e.file + (e.path ? ' at ' + e.path : '') + ': ' + e.message;
    list.append(item);
  }
}

function scheduleValidation(): void {
  clearTimeout(state.validateTimer);
  state.validateTimer = setTimeout(() => run('validation-status', validate), 300);
}

async function validate(): Promise<void> {
  if (!state.path) return;
  const ticket = ++state.validation;
  setStatus('validation-status', 'checking…', 'info');
  const res = await api('POST', 'rules/validate/' + encodePath(state.path), textarea('editor').value, { 'content-type': 'text/plain; charset=utf-8' });
  if (ticket !== state.validation) return;
  if (res.status === 200) { showErrors([]); setStatus('validation-status', 'valid: the rules would load', 'ok'); }
  else if (res.status === 422) { const { errors } = res.json as RuleErrors; showErrors(errors); setStatus('validation-status', errors.length + ' error(s): the rules would not load', 'error'); }
  else setStatus('validation-status', errorOf(res.json) || 'validation failed (' + res.status + ')', 'error');
}

async function save(): Promise<void> {
  if (!state.path) return;
  const precondition: Record<string, string> = state.isNew ? { 'if-none-match': '*' } : { 'if-match': '"' + state.etag + '"' };
  const res = await api('PUT', 'rules/' + encodePath(state.path), textarea('editor').value, Object.assign({ 'content-type': 'text/plain; charset=utf-8' }, precondition));
  if (res.status === 200 || res.status === 201) {
    const { etag } = res.json as RuleFileWritten;
    Object.assign(state, { etag, isNew: false });
    $('editor-etag').textContent = 'ETag ' + etag.slice(0, 12);
    showErrors([]);
    setStatus('save-status', 'saved and reloaded', 'ok');
    run('token-status', loadFiles);
  } else if (res.status === 412) {
    setStatus('save-status', 'conflict: ' + (errorOf(res.json) || 'the file is not at the version this page read') + '. Reopen the file to see the current version (your text stays here until then).', 'error');
  } else if (res.status === 422) {
    showErrors((res.json as RuleErrors).errors);
    setStatus('save-status', 'not saved: the rules would not load', 'error');
  } else {
    setStatus('save-status', 'not saved: ' + (errorOf(res.json) || res.status), 'error');
  }
}

function newFile(): void {
  const path = input('new-path').value.trim();
  if (path) showEditor(path, 'version: 1\n', '', true);
}

function parseJson(id: string, label: string): Parsed {
  try { return { value: JSON.parse(textarea(id).value) }; } catch (e) { return { error: label + ' is not JSON: ' + (e instanceof Error ? e.message : String(e)) }; }
}

async function dryRun(): Promise<void> {
  const live = input('live').checked;
  const lead = parseJson('lead', 'the lead');
  const answer: Parsed = live ? { value: undefined } : parseJson('crm-response', 'the CRM answer');
  const problem = lead.error || answer.error;
  const rows = $('rows');
  rows.replaceChildren();
  $('decision').textContent = '';
  if (problem) { setStatus('dry-run-status', problem, 'error'); return; }
  const request = live ? { lead: lead.value, live: true } : { lead: lead.value, crmResponse: answer.value };
  const res = await api('POST', 'rules/test', JSON.stringify(request), { 'content-type': 'application/json' });
  if (res.status !== 200) { setStatus('dry-run-status', errorOf(res.json) || 'dry run failed (' + res.status + ')', 'error'); return; }
  const result = res.json as RuleTestResult;
  const d = result.decision;
  setStatus('dry-run-status', d.source === 'row' ? 'row ' + d.rowIndex + ' decides' : 'no row matched: ' + d.source + ' decides', 'ok');
  // a live run also shows what the CRM was sent and answered (secrets are redacted by the server)
  $('decision').textContent = JSON.stringify(result.crm ? { decision: d, crm: result.crm } : d, null, 2);
  for (const row of result.rows) {
    const tr = document.createElement('tr');
    tr.dataset.matched = String(row.matched);
    if (d.source === 'row' && d.rowIndex === row.index) tr.className = 'decides';
    for (const cell of [String(row.index), row.key, JSON.stringify(row.values), row.matched ? 'yes' : 'no']) {
      const td = document.createElement('td');
      td.textContent = cell;
      tr.append(td);
    }
    rows.append(tr);
  }
}

const RETRYABLE = ['dead', 'refused'];

async function findDeliveries(): Promise<void> {
  const query = new URLSearchParams({ limit: '50' });
  const lead = input('delivery-lead').value.trim();
  const phone = input('delivery-phone').value.trim();
  const state = byId('delivery-state', HTMLSelectElement).value;
  if (lead) query.set('leadId', lead);
  if (phone) query.set('phone', phone);
  if (state) query.set('state', state);
  const res = await api('GET', 'deliveries?' + query.toString());
  const body = $('deliveries');
  body.replaceChildren();
  if (res.status !== 200) { setStatus('deliveries-status', errorOf(res.json) || 'cannot list deliveries (' + res.status + ')', 'error'); return; }
  const page = res.json as DeliveriesPage;
  setStatus('deliveries-status', page.total === 0 ? 'no deliveries match' : page.deliveries.length + ' of ' + page.total + ', newest first', 'ok');
  for (const d of page.deliveries) {
    const tr = document.createElement('tr');
    tr.dataset.id = d.id;
    for (const cell of [d.id, d.leadId || '-', d.destination, d.event, d.state, String(d.attemptCount), d.dialerLeadId || '-', d.lastAnswer || '-']) {
      const td = document.createElement('td');
      td.textContent = cell;
      tr.append(td);
    }
    const action = document.createElement('td');
    if (RETRYABLE.indexOf(d.state) >= 0) {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = 'Retry';
      button.addEventListener('click', () => run('deliveries-status', () => retryDelivery(d.id)));
      action.append(button);
    }
    tr.append(action);
    body.append(tr);
  }
}

async function retryDelivery(id: string): Promise<void> {
  const res = await api('POST', 'deliveries/' + encodeURIComponent(id) + '/retry');
  if (res.status !== 200) { setStatus('deliveries-status', errorOf(res.json) || 'retry failed (' + res.status + ')', 'error'); return; }
  await findDeliveries();
  setStatus('deliveries-status', 'delivery ' + id + ' is queued again', 'ok');
}

input('token').value = token();
$('use-token').addEventListener('click', () => { sessionStorage.setItem(TOKEN_KEY, input('token').value.trim()); run('token-status', loadFiles); });
textarea('editor').addEventListener('input', scheduleValidation);
$('save').addEventListener('click', () => run('save-status', save));
$('reopen').addEventListener('click', () => { if (state.path && !state.isNew) { const path = state.path; run('save-status', () => openFile(path)); } });
$('new-file').addEventListener('click', newFile);
$('run-dry-run').addEventListener('click', () => run('dry-run-status', dryRun));
$('find-deliveries').addEventListener('click', () => run('deliveries-status', findDeliveries));
if (token()) run('token-status', loadFiles);
