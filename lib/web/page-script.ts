// The status page's script (embedded; plain ES2017, no libraries). It takes the snapshot and the
// coalesced updates from /events, redraws only the cards that changed, and reconnects by itself.
// Text from chargers only ever goes into the page through textContent.
export const PAGE_SCRIPT = `
"use strict";
(function () {
  var SLOTS = 60;
  var cards = new Map(), order = [];
  var bridge = null, bridgeAt = 0, lastEvent = 0;
  var es = null, backoff = 1000, retry = null;
  var $ = function (id) { return document.getElementById(id); };
  var list = $("chargers"), tpl = $("card-t");
  var filter = "";

  function q(el, cls) { return el.querySelector("." + cls); }
  function put(el, t) { if (el.textContent !== t) el.textContent = t; }
  function num(x, digits) { return x == null ? "\\u2013" : Number(x).toFixed(digits).replace(/\\.0+$/, ""); }
  function watts(w) { return w == null ? "\\u2013" : Math.abs(w) >= 1000 ? num(w / 1000, 2) + " kW" : Math.round(w) + " W"; }
  function wh(x) { return x == null ? "\\u2013" : Math.abs(x) >= 1000 ? num(x / 1000, 2) + " kWh" : Math.round(x) + " Wh"; }
  function span(s) {
    s = Math.max(0, Math.floor(s));
    if (s < 60) return s + " s";
    if (s < 3600) return Math.floor(s / 60) + " min";
    if (s < 86400) return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
    return Math.floor(s / 86400) + " d " + Math.floor((s % 86400) / 3600) + " h";
  }
  function ago(iso) { return iso ? span((Date.now() - Date.parse(iso)) / 1000) + " ago" : "never"; }

  function mergePower(old, p) {
    if (!p) return old;
    if (!old || p.values.length >= SLOTS || p.end - old.end >= SLOTS) return { end: p.end, values: p.values.slice(-SLOTS) };
    if (p.end < old.end) return old;
    var v = old.values.slice();
    for (var i = old.end; i < p.end; i++) { v.shift(); v.push(v[v.length - 1]); }
    for (var j = 0; j < p.values.length; j++) v[v.length - p.values.length + j] = p.values[j];
    return { end: p.end, values: v };
  }

  function spark(c) {
    var power = c.power, vals = power ? power.values : [];
    var key = power ? power.end + ":" + vals.join(",") : "";
    if (c.sparkKey === key) return;
    c.sparkKey = key;
    var max = 0, d = "", pen = false;
    for (var i = 0; i < vals.length; i++) if (vals[i] != null && vals[i] > max) max = vals[i];
    for (var k = 0; k < vals.length; k++) {
      if (vals[k] == null) { pen = false; continue; }
      var x = (k * 120 / (SLOTS - 1)).toFixed(1), y = (31 - (max > 0 ? vals[k] / max : 0) * 29).toFixed(1);
      // A lone minute (no neighbour known) is drawn as a dot.
      var lone = !pen && (k + 1 >= vals.length || vals[k + 1] == null);
      d += (pen ? "L" : "M") + x + " " + y + (lone ? "h0.01" : "");
      pen = true;
    }
    c.r.line.setAttribute("d", d);
    put(c.r.tip, "last hour, peak " + watts(max));
  }

  function visible(c) {
    return filter === "" || c.search.indexOf(filter) >= 0;
  }

  function set(el, prop, v) { if (el[prop] !== v) el[prop] = v; }

  var PARTS = ["name", "sub", "status", "avail", "power", "limit", "session", "total", "enabled", "temp", "seen", "phases", "errors", "ctl", "toggle", "amps", "set", "reply", "line", "tip"];

  function render(c) {
    var d = c.data, s = d.state, el = c.el, r = c.r;
    set(el, "className", "card st-" + s.status + (d.online ? "" : " off"));
    if (el.dataset.status !== s.status) el.dataset.status = s.status;
    put(r.name, d.name);
    put(r.sub, d.protocol + (d.name !== d.id ? " \\u00b7 " + d.id : "") + (d.model ? " \\u00b7 " + d.model : ""));
    put(r.status, s.status);
    set(r.status, "className", "status st-" + s.status);
    put(r.avail, d.online ? "online" : "offline");
    set(r.avail, "className", "avail " + (d.online ? "on" : "off"));
    put(r.power, watts(s.power_w));
    put(r.limit, s.current_limit_a == null ? "\\u2013" : num(s.current_limit_a, 1) + " A");
    put(r.session, wh(s.energy_session_wh));
    put(r.total, wh(s.energy_total_wh));
    put(r.enabled, s.enabled == null ? "\\u2013" : s.enabled ? "yes" : "no");
    put(r.temp, s.temperature_c == null ? "\\u2013" : num(s.temperature_c, 1) + " \\u00b0C");
    put(r.seen, ago(s.last_seen));
    var any = false;
    [[r.vcells, s.voltage_v], [r.acells, s.current_a]].forEach(function (row) {
      for (var i = 0; i < 3; i++) {
        var x = row[1] ? row[1][i] : null;
        if (x != null) any = true;
        put(row[0][i], num(x, 1));
      }
    });
    set(r.phases, "hidden", !any);
    var key = JSON.stringify(s.errors || []);
    if (r.errors.dataset.key !== key) {
      r.errors.dataset.key = key;
      r.errors.textContent = "";
      (s.errors || []).forEach(function (e) { var li = document.createElement("li"); li.textContent = e; r.errors.appendChild(li); });
    }
    set(r.errors, "hidden", !(s.errors && s.errors.length));
    spark(c);
    set(r.ctl, "hidden", !(bridge && bridge.control && (d.can_enable || d.limit)));
    set(r.toggle, "hidden", !d.can_enable);
    put(r.toggle, s.enabled === false ? "Enable charging" : "Disable charging");
    set(r.amps, "hidden", !d.limit);
    set(r.set, "hidden", !d.limit);
    if (d.limit) {
      set(r.amps, "min", String(d.limit.allow_zero ? 0 : d.limit.min));
      set(r.amps, "max", String(d.limit.max));
      set(r.amps, "step", String(d.limit.step));
      if (document.activeElement !== r.amps && s.current_limit_a != null) set(r.amps, "value", String(s.current_limit_a));
    }
    c.search = (d.name + " " + d.id + " " + d.protocol + " " + s.status).toLowerCase();
    set(el, "hidden", !visible(c));
  }

  // The card of d, made (not yet placed) when new.
  function card(d) {
    var c = cards.get(d.id);
    if (c) return c;
    var el = tpl.content.firstElementChild.cloneNode(true);
    el.dataset.id = d.id;
    var r = {};
    PARTS.forEach(function (p) { r[p] = q(el, p); });
    r.vcells = q(r.phases, "v").querySelectorAll("td");
    r.acells = q(r.phases, "a").querySelectorAll("td");
    c = { el: el, r: r, data: d, power: null, search: "", sparkKey: null, placed: false };
    cards.set(d.id, c);
    return c;
  }

  function update(c, d) {
    c.data = d;
    c.power = mergePower(c.power, d.power);
    render(c);
  }

  // Where the card goes among the sorted ones (binary search over order).
  function place(c) {
    var lo = 0, hi = order.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (order[mid] < c.data.id) lo = mid + 1; else hi = mid; }
    var next = order[lo] !== undefined ? cards.get(order[lo]) : null;
    order.splice(lo, 0, c.data.id);
    list.insertBefore(c.el, next ? next.el : null);
    c.placed = true;
  }

  function upsert(d) {
    var c = card(d);
    update(c, d);
    if (!c.placed) place(c);
  }

  function remove(id) {
    var c = cards.get(id);
    if (!c) return;
    c.el.remove();
    cards.delete(id);
    var i = order.indexOf(id);
    if (i >= 0) order.splice(i, 1);
  }

  function summary() {
    if (!bridge) return;
    put($("version"), bridge.version);
    put($("runtime"), bridge.runtime);
    var m = $("mqtt");
    put(m, bridge.mqtt.connected ? "connected" : "disconnected");
    m.className = "pill " + (bridge.mqtt.connected ? "ok" : "bad");
    put($("queued"), String(bridge.mqtt.queued));
    put($("dropped"), String(bridge.mqtt.dropped));
    var online = 0, charging = 0;
    cards.forEach(function (c) { if (c.data.online) online++; if (c.data.state.status === "charging") charging++; });
    put($("count"), cards.size + " (" + online + " online, " + charging + " charging)");
    $("empty").hidden = cards.size > 0;
  }

  function tick() {
    if (bridge) put($("uptime"), span(bridge.uptime_s + (Date.now() - bridgeAt) / 1000));
  }

  function live(on) {
    var l = $("live");
    put(l, on ? "live" : "reconnecting\\u2026");
    l.className = "live " + (on ? "on" : "off");
  }

  function setBridge(b) { bridge = b; bridgeAt = Date.now(); }

  function connect() {
    if (es) es.close();
    es = new EventSource("events");
    lastEvent = Date.now();
    es.addEventListener("snapshot", function (e) {
      var m = JSON.parse(e.data);
      lastEvent = Date.now();
      backoff = 1000;
      live(true);
      setBridge(m.bridge);
      // Rebuilt in one go: the snapshot comes sorted, so cards are appended to a fragment in order.
      var old = cards;
      cards = new Map();
      var frag = document.createDocumentFragment();
      order = m.chargers.map(function (d) {
        var c = old.get(d.id);
        if (c) { c.power = null; cards.set(d.id, c); } else c = card(d);
        update(c, d);
        c.placed = true;
        frag.appendChild(c.el);
        return d.id;
      });
      list.textContent = "";
      list.appendChild(frag);
      summary();
      tick();
    });
    es.addEventListener("update", function (e) {
      var m = JSON.parse(e.data);
      lastEvent = Date.now();
      setBridge(m.bridge);
      m.chargers.forEach(upsert);
      m.removed.forEach(remove);
      summary();
    });
    es.addEventListener("ping", function () { lastEvent = Date.now(); });
    es.onopen = function () { live(true); };
    es.onerror = function () {
      live(false);
      // A refusal (too many pages, credentials) ends the stream for good: retry with back-off.
      if (es.readyState === 2) later();
    };
  }

  function later() {
    if (es) es.close();
    clearTimeout(retry);
    retry = setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 30000);
  }

  function send(c, body) {
    var out = q(c.el, "reply");
    out.className = "reply";
    put(out, "sending\\u2026");
    fetch("api/chargers/" + encodeURIComponent(c.data.id) + "/set", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), credentials: "same-origin"
    }).then(function (r) {
      return r.json().catch(function () { return { status: "error", error: "HTTP " + r.status }; });
    }).then(function (j) {
      out.className = "reply " + (j.status === "ok" ? "ok" : "err");
      put(out, j.status === "ok" ? "ok" + (j.data != null ? ": " + JSON.stringify(j.data) : "") : "refused: " + j.error);
    }).catch(function (err) {
      out.className = "reply err";
      put(out, "failed: " + err);
    });
  }

  list.addEventListener("click", function (e) {
    var b = e.target.closest("button");
    var el = b && b.closest(".card");
    var c = el && cards.get(el.dataset.id);
    if (!c) return;
    if (b.classList.contains("toggle")) send(c, { enabled: c.data.state.enabled === false });
    if (b.classList.contains("set")) {
      var v = Number(q(c.el, "amps").value);
      if (q(c.el, "amps").value === "" || !isFinite(v)) { put(q(c.el, "reply"), "enter a current in A"); return; }
      send(c, { current_limit_a: v });
    }
  });
  $("filter").addEventListener("input", function (e) {
    filter = e.target.value.trim().toLowerCase();
    cards.forEach(function (c) { c.el.hidden = !visible(c); });
  });
  setInterval(tick, 1000);
  setInterval(function () {
    cards.forEach(function (c) { put(q(c.el, "seen"), ago(c.data.state.last_seen)); });
    // No event (not even the heartbeat) for this long: the stream is dead without knowing it.
    if (Date.now() - lastEvent > 45000) later();
  }, 5000);
  connect();
})();
`;
