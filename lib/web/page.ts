// The status page: one self-contained document (markup, style and script embedded as strings, so the
// compiled binary serves it without reading a file). Its Content-Security-Policy allows exactly the
// embedded style and script (by hash) and connections to this server only.
import { createHash } from "node:crypto";
import { PAGE_SCRIPT } from "./page-script.ts";
import { PAGE_STYLE } from "./page-style.ts";

const CARD = `<template id="card-t"><article class="card">
<div class="top"><div><h2 class="name"></h2><div class="sub"></div></div><span class="status"></span></div>
<div class="avail"></div>
<div class="big"><span class="power"></span><svg class="spark" viewBox="0 0 120 32" preserveAspectRatio="none" role="img"><title class="tip"></title><path class="base" d="M0 31.5H120"/><path class="line"/></svg></div>
<dl><dt>current limit</dt><dd class="limit"></dd><dt>session</dt><dd class="session"></dd><dt>total</dt><dd class="total"></dd>
<dt>enabled</dt><dd class="enabled"></dd><dt>temperature</dt><dd class="temp"></dd><dt>last seen</dt><dd class="seen"></dd></dl>
<table class="phases"><tr><th></th><th>L1</th><th>L2</th><th>L3</th></tr><tr class="v"><th>V</th><td></td><td></td><td></td></tr><tr class="a"><th>A</th><td></td><td></td><td></td></tr></table>
<ul class="errors"></ul>
<div class="ctl" hidden><button type="button" class="toggle"></button><input class="amps" type="number" inputmode="decimal" aria-label="current limit in A"><button type="button" class="set">Set limit</button><output class="reply"></output></div>
</article></template>`;

export const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><title>evse2mqtt</title><link rel="icon" href="data:,">
<style>${PAGE_STYLE}</style></head><body>
<header><h1>evse2mqtt <small id="version"></small></h1><span id="live" class="live">connecting\u2026</span></header>
<section class="bridge" aria-label="bridge">
<div><span class="k">MQTT</span><span id="mqtt" class="pill">\u2013</span></div>
<div><span class="k">uptime</span><span id="uptime">\u2013</span></div>
<div><span class="k">offline queue</span><span id="queued">\u2013</span></div>
<div><span class="k">dropped</span><span id="dropped">\u2013</span></div>
<div><span class="k">chargers</span><span id="count">\u2013</span></div>
<div><span class="k">runtime</span><span id="runtime">\u2013</span></div>
</section>
<div class="tools"><input id="filter" type="search" placeholder="filter: name, id, protocol, status" aria-label="filter chargers"></div>
<main id="chargers"></main>
<p id="empty" class="empty" hidden>No chargers yet: they appear here as they connect.</p>
${CARD}
<script>${PAGE_SCRIPT}</script>
</body></html>
`;

const hash = (s: string) => `'sha256-${createHash("sha256").update(s, "utf8").digest("base64")}'`;

export const PAGE_CSP = [
  "default-src 'none'",
  `script-src ${hash(PAGE_SCRIPT)}`,
  `style-src ${hash(PAGE_STYLE)}`,
  "connect-src 'self'",
  "img-src data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");
