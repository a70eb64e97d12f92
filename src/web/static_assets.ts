/**
 * The UI's two static files, served by modyard itself (no CDN: registries run in
 * air-gapped networks): one small stylesheet (AA contrast, visible focus) and the copy
 * buttons' script (progressive enhancement: without it the text stays selectable).
 *
 * @module
 */

import { HttpError } from "../http/http_error.ts";

const STYLE = `
:root{--fg:#1b1f24;--muted:#4b5563;--bg:#fff;--panel:#f5f7f9;--line:#d0d7de;--link:#0b57d0;
--accent:#0f5132;--warn:#7a3e00;--bad:#a4161a;--focus:#b35c00;font-family:system-ui,sans-serif}
*{box-sizing:border-box}
body{margin:0;color:var(--fg);background:var(--bg);line-height:1.5}
a{color:var(--link)}
a:hover{text-decoration-thickness:2px}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:var(--bg);padding:.5rem 1rem}
.skip:focus{left:1rem;z-index:10}
header.site{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;justify-content:space-between;
padding:.75rem 1.5rem;border-bottom:1px solid var(--line);background:var(--panel)}
header.site .brand{font-weight:700;font-size:1.2rem;color:var(--fg);text-decoration:none}
header.site nav ul{list-style:none;display:flex;gap:1rem;margin:0;padding:0;align-items:center}
header.site form{display:inline;margin:0}
main{max-width:72rem;margin:0 auto;padding:1rem 1.5rem 3rem}
footer.site{border-top:1px solid var(--line);padding:1rem 1.5rem;color:var(--muted);font-size:.9rem}
h1{font-size:1.6rem;word-break:break-all}
h2{font-size:1.25rem;margin-top:2rem}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--panel)}
td.num,th.num{text-align:right}
code,pre,kbd{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9rem}
pre{background:var(--panel);border:1px solid var(--line);padding:.75rem;overflow:auto}
.snippet{display:flex;gap:.5rem;align-items:flex-start}
.snippet pre{flex:1;margin:0;user-select:all}
button,input[type=submit]{font:inherit;padding:.3rem .8rem;border:1px solid #57606a;border-radius:4px;
background:#fff;color:var(--fg);cursor:pointer}
button.danger{border-color:var(--bad);color:var(--bad)}
input[type=text],input[type=password],input[type=search],input[type=number],select{font:inherit;
padding:.3rem .5rem;border:1px solid #57606a;border-radius:4px;max-width:100%}
label{display:block;font-weight:600;margin-top:.75rem}
.badge{display:inline-block;font-size:.8rem;padding:0 .45rem;border-radius:999px;border:1px solid;
margin-left:.3rem;white-space:nowrap}
.badge.public{color:var(--accent)}.badge.private{color:var(--warn)}
.badge.pre{color:#5a32a3}.badge.pseudo{color:var(--muted)}
.badge.retracted,.badge.deleted{color:var(--bad)}.badge.pinned{color:var(--muted)}
.muted{color:var(--muted)}
.notice{border:1px solid var(--line);border-left:4px solid var(--accent);padding:.5rem 1rem;
background:var(--panel)}
.error{border-left-color:var(--bad)}
.readme{border:1px solid var(--line);padding:0 1rem;overflow:auto}
.readme img{max-width:100%}
.grid{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,1fr);gap:2rem}
@media (max-width:50rem){.grid{grid-template-columns:1fr}}
.versions{list-style:none;padding:0}
.versions li{padding:.2rem 0;border-bottom:1px solid var(--line)}
.search{display:flex;gap:.5rem}
.search input{flex:1}
.downloads-chart{margin:0}
.downloads-chart svg{width:100%;height:auto;max-width:600px}
.downloads-chart figcaption{color:var(--muted);font-size:.9rem}
.gomod .comment{color:var(--muted)}
.readme-text{white-space:pre-wrap}
.readme-note,.gomod-note{color:var(--muted);font-style:italic}
dt{font-weight:600}
dd{margin:0 0 .5rem 0;word-break:break-all}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);
white-space:nowrap}
`.trim() + "\n";

const COPY_SCRIPT = `
for (const button of document.querySelectorAll("button[data-copy]")) {
  button.hidden = false;
  button.addEventListener("click", async () => {
    const source = document.getElementById(button.dataset.copy);
    if (!source) return;
    try {
      await navigator.clipboard.writeText(source.textContent.trim());
      button.textContent = "Copied";
    } catch {
      getSelection().selectAllChildren(source);
      button.textContent = "Selected: press Ctrl+C";
    }
    setTimeout(() => { button.textContent = "Copy"; }, 2000);
  });
}
`.trim() + "\n";

const ASSETS: Record<string, { body: string; type: string }> = {
  "style.css": { body: STYLE, type: "text/css; charset=utf-8" },
  "copy.js": { body: COPY_SCRIPT, type: "text/javascript; charset=utf-8" },
};

/** Answers `/-/static/{name}`, or a 404. */
export function serveStatic(name: string): Response {
  const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
  if (!asset) throw new HttpError(404, "not found");
  return new Response(asset.body, {
    headers: { "content-type": asset.type, "cache-control": "public, max-age=3600" },
  });
}
