import { createHash } from 'node:crypto';
// Compiled from src/admin/ui/admin-page.ts by scripts/build-admin-ui.ts (run by build, start,
// typecheck, lint, the test setup and the Worker build); the browser source is never imported here.
import { ADMIN_PAGE_SCRIPT } from './generated/ui-script.js';

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 72rem; padding: 1rem; color: #1d2329; }
h1 { font-size: 1.3rem; } h2 { font-size: 1.05rem; margin-top: 1.5rem; }
section { border-top: 1px solid #d6dbe0; padding-top: .5rem; }
textarea { width: 100%; box-sizing: border-box; font: 13px/1.35 ui-monospace, monospace; }
#editor { min-height: 24rem; } .pair { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
.pair textarea { min-height: 8rem; }
#files { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .4rem; }
[data-kind=error] { color: #b3261e; } [data-kind=ok] { color: #1e6b34; }
li.error { color: #b3261e; font-family: ui-monospace, monospace; }
table { border-collapse: collapse; width: 100%; } td, th { border: 1px solid #d6dbe0; padding: .2rem .4rem; text-align: left; font-family: ui-monospace, monospace; }
tr[data-matched=true] { background: #e5f4e8; } tr.decides { font-weight: bold; }
pre { background: #f3f5f7; padding: .5rem; overflow: auto; }
`;

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>leadgate admin</title>
<style>${STYLE}</style>
</head>
<body>
<h1>leadgate admin</h1>
<section>
  <label>Admin token <input id="token" type="password" autocomplete="off" size="40"></label>
  <button id="use-token" type="button">Use token</button>
  <span id="token-status" role="status"></span>
  <p><small>The token is kept in this tab's session storage and sent as a bearer header with every call.</small></p>
</section>
<section>
  <h2>Rule files</h2>
  <ul id="files"></ul>
  <label>New file <input id="new-path" placeholder="connects/acme-crm.yaml" size="32"></label>
  <button id="new-file" type="button">Create</button>
</section>
<section id="editor-section" hidden>
  <h2><span id="editor-path"></span> <small id="editor-etag"></small></h2>
  <textarea id="editor" spellcheck="false" aria-label="rule file text"></textarea>
  <p id="validation-status" role="status"></p>
  <ul id="validation"></ul>
  <button id="save" type="button">Save</button>
  <button id="reopen" type="button">Reopen (discard edits)</button>
  <span id="save-status" role="status"></span>
</section>
<section>
  <h2>Dry run of the duplicate-check table</h2>
  <p><small>Runs the active (saved) rules; nothing is written or recorded.</small></p>
  <div class="pair">
    <label>Lead (JSON)<textarea id="lead" spellcheck="false">{"phone": "0412345678"}</textarea></label>
    <label>CRM answer (JSON)<textarea id="crm-response" spellcheck="false">{"customer": {"status": "Active"}}</textarea></label>
  </div>
  <label><input id="live" type="checkbox"> ask the CRM (live call; the CRM answer above is not used)</label>
  <button id="run-dry-run" type="button">Run</button>
  <span id="dry-run-status" role="status"></span>
  <table><thead><tr><th>row</th><th>key</th><th>values found</th><th>matched</th></tr></thead><tbody id="rows"></tbody></table>
  <pre id="decision"></pre>
</section>
<section>
  <h2>Deliveries to the dialer</h2>
  <label>Lead id <input id="delivery-lead" size="10" inputmode="numeric"></label>
  <label>Phone <input id="delivery-phone" size="16" placeholder="0412 345 678"></label>
  <label>State <select id="delivery-state"><option value="">any</option><option>queued</option><option>delivered</option><option>refused</option><option>dead</option></select></label>
  <button id="find-deliveries" type="button">Find</button>
  <span id="deliveries-status" role="status"></span>
  <table><thead><tr><th>id</th><th>lead</th><th>destination</th><th>event</th><th>state</th><th>attempts</th><th>dialer id</th><th>last answer</th><th></th></tr></thead><tbody id="deliveries"></tbody></table>
</section>
<script>${ADMIN_PAGE_SCRIPT}</script>
</body>
</html>
`;

const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/**
 * The page is static, so its one script and one style are pinned by hash in the CSP: nothing
 * injected into it could run, and it can talk to nothing but this server.
 */
const HEADERS = {
  'content-security-policy': [
    "default-src 'none'",
    `script-src ${hash(ADMIN_PAGE_SCRIPT)}`,
    `style-src ${hash(STYLE)}`,
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** GET /admin/ui: one self-contained page for editing rule files, trying the table and repairing deliveries. */
export function adminPage(): { html: string; headers: Record<string, string> } {
  return { html: HTML, headers: HEADERS };
}
