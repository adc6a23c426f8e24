// The status page's script (embedded; plain ES2017, no libraries). It takes the snapshot and the
// coalesced updates from /events, redraws only the cards that changed, and reconnects by itself.
// Text from chargers only ever goes into the page through textContent.
export const PAGE_SCRIPT = `
"use strict";
(function () {
  var SLOTS = 60;
  var cards = new Map();
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

  function spark(svg, power) {
    var path = q(svg, "line"), vals = power ? power.values : [], max = 0, d = "", pen = false;
    for (var i = 0; i < vals.length; i++) if (vals[i] != null && vals[i] > max) max = vals[i];
    for (var k = 0; k < vals.length; k++) {
      if (vals[k] == null) { pen = false; continue; }
      var x = (k * 120 / (SLOTS - 1)).toFixed(1), y = (31 - (max > 0 ? vals[k] / max : 0) * 29).toFixed(1);
      d += (pen ? "L" : "M") + x + " " + y;
      pen = true;
    }
    path.setAttribute("d", d);
    put(q(svg, "tip"), "last hour, peak " + watts(max));
  }

  function visible(c) {
    return filter === "" || c.search.indexOf(filter) >= 0;
  }

  function render(c) {
    var d = c.data, s = d.state, el = c.el;
    el.className = "card st-" + s.status + (d.online ? "" : " off");
    el.dataset.status = s.status;
    put(q(el, "name"), d.name);
    put(q(el, "sub"), d.protocol + (d.name !== d.id ? " \\u00b7 " + d.id : "") + (d.model ? " \\u00b7 " + d.model : ""));
    var st = q(el, "status");
    put(st, s.status);
    st.className = "status st-" + s.status;
    var av = q(el, "avail");
    put(av, d.online ? "online" : "offline");
    av.className = "avail " + (d.online ? "on" : "off");
    put(q(el, "power"), watts(s.power_w));
    put(q(el, "limit"), s.current_limit_a == null ? "\\u2013" : num(s.current_limit_a, 1) + " A");
    put(q(el, "session"), wh(s.energy_session_wh));
    put(q(el, "total"), wh(s.energy_total_wh));
    put(q(el, "enabled"), s.enabled == null ? "\\u2013" : s.enabled ? "yes" : "no");
    put(q(el, "temp"), s.temperature_c == null ? "\\u2013" : num(s.temperature_c, 1) + " \\u00b0C");
    put(q(el, "seen"), ago(s.last_seen));
    var phases = q(el, "phases"), any = false;
    [["v", s.voltage_v, 1], ["a", s.current_a, 1]].forEach(function (row) {
      var cells = q(phases, row[0]).querySelectorAll("td");
      for (var i = 0; i < 3; i++) {
        var x = row[1] ? row[1][i] : null;
        if (x != null) any = true;
        put(cells[i], num(x, row[2]));
      }
    });
    phases.hidden = !any;
    var errs = q(el, "errors");
    var key = JSON.stringify(s.errors || []);
    if (errs.dataset.key !== key) {
      errs.dataset.key = key;
      errs.textContent = "";
      (s.errors || []).forEach(function (e) { var li = document.createElement("li"); li.textContent = e; errs.appendChild(li); });
    }
    errs.hidden = !(s.errors && s.errors.length);
    spark(q(el, "spark"), c.power);
    var ctl = q(el, "ctl");
    ctl.hidden = !(bridge && bridge.control && (d.can_enable || d.limit));
    var tog = q(el, "toggle");
    tog.hidden = !d.can_enable;
    put(tog, s.enabled === false ? "Enable charging" : "Disable charging");
    var amps = q(el, "amps"), setb = q(el, "set");
    amps.hidden = setb.hidden = !d.limit;
    if (d.limit) {
      amps.min = d.limit.allow_zero ? 0 : d.limit.min;
      amps.max = d.limit.max;
      amps.step = d.limit.step;
      if (document.activeElement !== amps && s.current_limit_a != null) amps.value = s.current_limit_a;
    }
    c.search = (d.name + " " + d.id + " " + d.protocol + " " + s.status).toLowerCase();
    el.hidden = !visible(c);
  }

  function upsert(d) {
    var c = cards.get(d.id);
    if (!c) {
      var el = tpl.content.firstElementChild.cloneNode(true);
      el.dataset.id = d.id;
      c = { el: el, data: d, power: null, search: "" };
      cards.set(d.id, c);
      var before = null;
      for (var n = list.firstElementChild; n; n = n.nextElementSibling) if (n.dataset.id > d.id) { before = n; break; }
      list.insertBefore(el, before);
    }
    c.data = d;
    c.power = mergePower(c.power, d.power);
    render(c);
  }

  function remove(id) {
    var c = cards.get(id);
    if (!c) return;
    c.el.remove();
    cards.delete(id);
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
      var seen = new Set();
      m.chargers.forEach(function (d) { seen.add(d.id); var c = cards.get(d.id); if (c) c.power = null; upsert(d); });
      Array.from(cards.keys()).forEach(function (id) { if (!seen.has(id)) remove(id); });
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
