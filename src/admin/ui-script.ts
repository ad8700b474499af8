/**
 * The admin page's script, inline so the page needs nothing but itself (no CDN, no build step).
 * Everything the server or a CRM answer says is written with textContent, never as HTML.
 */
export const ADMIN_PAGE_SCRIPT = String.raw`
'use strict';
const TOKEN_KEY = 'leadgate-admin-token';
const $ = (id) => document.getElementById(id);
// the API lives beside the page: /admin/ui -> /admin/
const BASE = location.pathname.replace(/\/ui\/?$/, '/');
const state = { path: null, etag: null, isNew: false, validateTimer: null, validation: 0 };

function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }
function encodePath(path) { return path.split('/').map(encodeURIComponent).join('/'); }
function setStatus(id, text, kind) { const el = $(id); el.textContent = text; el.dataset.kind = kind || 'info'; }

async function api(method, url, body, headers) {
  const init = { method, headers: Object.assign({ authorization: 'Bearer ' + token() }, headers || {}) };
  if (body !== undefined) init.body = body;
  const res = await fetch(BASE + url, init);
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch (e) { json = null; }
  if (res.status === 401 || res.status === 403) setStatus('token-status', (json && json.error) || 'not authorised', 'error');
  return { status: res.status, json, text, etag: (res.headers.get('etag') || '').replace(/^"|"$/g, '') };
}

async function loadFiles() {
  const res = await api('GET', 'rules');
  const list = $('files');
  list.replaceChildren();
  if (res.status !== 200) return;
  setStatus('token-status', 'token accepted', 'ok');
  for (const file of res.json.files) {
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = file.path;
    button.dataset.path = file.path;
    button.addEventListener('click', () => openFile(file.path));
    item.append(button);
    list.append(item);
  }
}

async function openFile(path) {
  const res = await api('GET', 'rules/' + encodePath(path));
  if (res.status !== 200) { setStatus('save-status', (res.json && res.json.error) || 'cannot open ' + path, 'error'); return; }
  showEditor(path, res.text, res.etag, false);
}

function showEditor(path, text, etag, isNew) {
  Object.assign(state, { path, etag, isNew });
  $('editor-path').textContent = path;
  $('editor-etag').textContent = isNew ? 'new file' : 'ETag ' + etag.slice(0, 12);
  $('editor').value = text;
  $('editor-section').hidden = false;
  $('validation').replaceChildren();
  setStatus('validation-status', '', 'info');
  setStatus('save-status', '', 'info');
  scheduleValidation();
}

function showErrors(errors) {
  const list = $('validation');
  list.replaceChildren();
  for (const e of errors) {
    const item = document.createElement('li');
    item.className = 'error';
    item.textContent = e.file + (e.path ? ' at ' + e.path : '') + ': ' + e.message;
    list.append(item);
  }
}

function scheduleValidation() {
  clearTimeout(state.validateTimer);
  state.validateTimer = setTimeout(validate, 300);
}

async function validate() {
  if (!state.path) return;
  const ticket = ++state.validation;
  setStatus('validation-status', 'checking…', 'info');
  const res = await api('POST', 'rules/validate/' + encodePath(state.path), $('editor').value, { 'content-type': 'text/plain; charset=utf-8' });
  if (ticket !== state.validation) return;
  if (res.status === 200) { showErrors([]); setStatus('validation-status', 'valid: the rules would load', 'ok'); }
  else if (res.status === 422) { showErrors(res.json.errors); setStatus('validation-status', res.json.errors.length + ' error(s): the rules would not load', 'error'); }
  else setStatus('validation-status', (res.json && res.json.error) || 'validation failed (' + res.status + ')', 'error');
}

async function save() {
  if (!state.path) return;
  const precondition = state.isNew ? { 'if-none-match': '*' } : { 'if-match': '"' + state.etag + '"' };
  const res = await api('PUT', 'rules/' + encodePath(state.path), $('editor').value, Object.assign({ 'content-type': 'text/plain; charset=utf-8' }, precondition));
  if (res.status === 200 || res.status === 201) {
    Object.assign(state, { etag: res.json.etag, isNew: false });
    $('editor-etag').textContent = 'ETag ' + res.json.etag.slice(0, 12);
    showErrors([]);
    setStatus('save-status', 'saved and reloaded', 'ok');
    loadFiles();
  } else if (res.status === 412) {
    setStatus('save-status', 'conflict: ' + res.json.error + '. Reopen the file to see the current version (your text stays here until then).', 'error');
  } else if (res.status === 422) {
    showErrors(res.json.errors);
    setStatus('save-status', 'not saved: the rules would not load', 'error');
  } else {
    setStatus('save-status', 'not saved: ' + ((res.json && res.json.error) || res.status), 'error');
  }
}

function newFile() {
  const path = $('new-path').value.trim();
  if (path) showEditor(path, 'version: 1\n', '', true);
}

function parseJson(id, label) {
  try { return { value: JSON.parse($(id).value) }; } catch (e) { return { error: label + ' is not JSON: ' + e.message }; }
}

async function dryRun() {
  const live = $('live').checked;
  const lead = parseJson('lead', 'the lead');
  const answer = live ? { value: undefined } : parseJson('crm-response', 'the CRM answer');
  const problem = lead.error || answer.error;
  const rows = $('rows');
  rows.replaceChildren();
  $('decision').textContent = '';
  if (problem) { setStatus('dry-run-status', problem, 'error'); return; }
  const request = live ? { lead: lead.value, live: true } : { lead: lead.value, crmResponse: answer.value };
  const res = await api('POST', 'rules/test', JSON.stringify(request), { 'content-type': 'application/json' });
  if (res.status !== 200) { setStatus('dry-run-status', (res.json && res.json.error) || 'dry run failed (' + res.status + ')', 'error'); return; }
  const d = res.json.decision;
  setStatus('dry-run-status', d.source === 'row' ? 'row ' + d.rowIndex + ' decides' : 'no row matched: ' + d.source + ' decides', 'ok');
  // a live run also shows what the CRM was sent and answered (secrets are redacted by the server)
  $('decision').textContent = JSON.stringify(res.json.crm ? { decision: d, crm: res.json.crm } : d, null, 2);
  for (const row of res.json.rows) {
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

$('token').value = token();
$('use-token').addEventListener('click', () => { sessionStorage.setItem(TOKEN_KEY, $('token').value.trim()); loadFiles(); });
$('editor').addEventListener('input', scheduleValidation);
$('save').addEventListener('click', save);
$('reopen').addEventListener('click', () => { if (state.path && !state.isNew) openFile(state.path); });
$('new-file').addEventListener('click', newFile);
$('run-dry-run').addEventListener('click', dryRun);
if (token()) loadFiles();
`;
