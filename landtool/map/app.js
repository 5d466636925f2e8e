/* landtool map: draws the data document of the page (landtool/map/payload.py) with
   Leaflet on a canvas. It only displays: every status, value and reason comes from
   the check; sentences are rendered from the catalogue templates by format.js in the
   language shown, and the page switches language in place. Data reach the page only
   through textContent and attribute setters, never as HTML.
   The Leaflet map is folium's (landtool/map/shell.py): the page calls
   landtoolApp(map_landtool) once folium's script has made it in #lt-map. */
window.landtoolApp = function (map) {
  "use strict";
  var T0 = performance.now();
  var D = JSON.parse(document.getElementById("landtool-data").textContent);
  var F = landtoolFormat, own = Object.prototype.hasOwnProperty;
  var LT = window.landtool = {data: D, layers: {}, timing: {script: T0, parsed: performance.now()}, parcelsDrawn: 0, ready: false};
  var P = D.parcels, OX = D.origin[0], OY = D.origin[1], K = D.scale;
  var CODE = {p: "pass", f: "fail", n: "not_applicable", i: "insufficient_data"};
  var STATUS_LETTERS = ["f", "i", "p", "n"];          // popups list failures first, then …
  var POPUP_RANK = {f: 0, i: 1, p: 2, n: 3};
  var INFORMATION = {};                               // … an information rule's failure after the requirements'
  (D.information || []).forEach(function (r) { INFORMATION[r] = true; });
  var lang = D.lang, W = D.words[lang], U = W.ui;
  var state = {by: D.compare ? "change" : "overall", failuresOnly: false, panel: true, base: D.tiles.length ? 0 : -1,
               layers: {parcels: true}, query: "", info: "", notesOpen: false};
  LT.state = state;

  // ---- codes: one character per row (payload.ALPHABET)
  var DEC = {};
  (function () {
    for (var c = 35, k = 0; c < 127; c++) {
      if (c === 92 || c === 60 || c === 62 || c === 38) continue;
      DEC[c] = k++;
    }
  })();
  function codeAt(x, k) { return typeof x === "string" ? DEC[x.charCodeAt(k)] : x[k]; }
  // a column: one value for every row, {f: values, x: codes}, a list, or tagged {c}/{l}
  function col(c, k) {
    if (c === null || c === undefined || typeof c !== "object") return c === undefined ? null : c;
    if (Array.isArray(c)) return c[k] === undefined ? null : c[k];
    if (own.call(c, "x")) return c.f[codeAt(c.x, k)];
    if (own.call(c, "same")) {
      if (!c._ref) { var r = c.same, e = D.verdicts[r[0]]; c._ref = r.length === 2 ? e[r[1]] : e.a[r[2]]; }
      return col(c._ref, k);
    }
    if (own.call(c, "n")) {
      if (!c._n) c._n = c.n.split(",").map(function (t) { return t === "" ? null : Number(t); });
      return c._n[k] === undefined ? null : c._n[k];
    }
    if (own.call(c, "l")) return c.l[k] === undefined ? null : c.l[k];
    return own.call(c, "c") ? c.c : null;
  }
  function argsAt(A, k) {
    var out = {};
    if (!A) return out;
    if (own.call(A, "_")) {
      var part = col(A._, k);
      for (var p in part) if (own.call(part, p)) out[p] = part[p];
    }
    for (var name in A) if (own.call(A, name) && name !== "_") {
      var v = col(A[name], k);
      if (v !== null && v !== undefined) out[name] = v;
    }
    return out;
  }

  // a verdict row's status, reason and args: either one joint code (k: [status, reason,
  // partial args] per code) or separate columns (s, x, a)
  function expand(V) {  // V.s, the status letters, decoded when first asked for
    if (!V.k || V.s !== undefined) return;
    Object.defineProperty(V, "s", {configurable: true, get: function () {
      var out = new Array(V.k.x.length), f = V.k.f;
      for (var j = 0; j < out.length; j++) out[j] = f[codeAt(V.k.x, j)][0];
      Object.defineProperty(V, "s", {value: out.join("")});
      return V.s;
    }});
  }
  function rowCount(V) { return V.k ? V.k.x.length : V.s.length; }
  function statusAt(V, k) { return V.k ? V.k.f[codeAt(V.k.x, k)][0] : V.s.charAt(k); }
  function rowX(V, k) { return V.k ? V.k.f[codeAt(V.k.x, k)][1] : col(V.x, k); }
  function rowArgs(V, k) {
    var out = argsAt(V.a, k);
    if (V.k) {
      var part = V.k.f[codeAt(V.k.x, k)][2];
      for (var p in part) if (own.call(part, p) && !own.call(out, p)) out[p] = part[p];
    }
    return out;
  }
  D.verdicts.forEach(expand);

  // ---- DOM helpers (text only)
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function fill(t, o) {
    return String(t).replace(/\{(\w+)\}/g, function (m, k) { return own.call(o, k) ? String(o[k]) : m; });
  }
  function num(v) { return F.number(v, ""); }
  function show(v) { return (v === null || v === undefined || v === "") ? "—" : (typeof v === "number" ? num(v) : String(v)); }
  function paren(x) { return fill(U.paren, {x: x}); }
  function unitWord(u) { return (u && own.call(W.units, u)) ? W.units[u] : (u || ""); }
  function withUnit(v, u) {
    if (v === null || v === undefined) return "—";
    var w = unitWord(u);
    return num(v) + (w ? " " + w : "");
  }
  function ruleName(r) { return own.call(W.rules, r) ? W.rules[r] : r; }
  function subjectName(s) { return own.call(W.subjects, s) ? W.subjects[s] : s; }
  function statusWord(code) { var s = CODE[code]; return s ? W.statuses[s] : U.no_verdict; }
  function colorOf(code) { return D.colors[CODE[code]] || D.noColor; }
  function layerName(key) { return own.call(U.layer_names, key) ? U.layer_names[key] : key; }
  function columnName(c) {
    if (own.call(U.columns, c)) return U.columns[c];
    if (own.call(W.fields, c)) return W.fields[c];
    return c;
  }

  // ---- what the parcels are coloured by
  var ruleEntry = {};
  D.verdicts.forEach(function (V) { if (!V.sub) ruleEntry[V.r] = V; });
  var codeCache = {};
  function modeCodes(mode) {
    if (codeCache[mode] !== undefined) return codeCache[mode];
    var out;
    if (mode === "change") out = D.compare.parcelKind;
    else if (mode === "overall") out = P.status.overall;
    else if (mode.indexOf("fam:") === 0) out = P.status[mode.slice(4)] || "";
    else {
      var V = ruleEntry[mode.slice(5)];
      if (!V) out = "";
      else if (!V.p) out = V.s;
      else {
        var a = new Array(P.n);
        for (var i = 0; i < P.n; i++) a[i] = "-";
        for (var k = 0; k < V.p.length; k++) if (V.p[k] >= 0) a[V.p[k]] = V.s.charAt(k);
        out = a.join("");
      }
    }
    codeCache[mode] = out;
    return out;
  }
  function modeName(mode) {
    if (mode === "change") return U.by_change;
    if (mode === "overall") return W.families.overall;
    if (mode.indexOf("fam:") === 0) { var f = mode.slice(4); return own.call(W.families, f) ? W.families[f] : f; }
    return ruleName(mode.slice(5));
  }
  function codeColor(mode, code) {
    if (mode === "change") return own.call(D.changeColors, code) ? D.changeColors[code] : D.noColor;
    return colorOf(code);
  }
  function failing(mode, code) { return mode === "change" ? code === "a" : code === "f"; }

  // ---- the further layers: styles that tell them apart (the legend draws the same)
  var STYLES = {
    zones: {color: "#6a3d9a", weight: 2, dashArray: "10 6", fillColor: "#6a3d9a", fillOpacity: 0.04},
    facility_land: {color: "#1565c0", weight: 1.5, fillColor: "#64b5f6", fillOpacity: 0.45},
    split_pieces: {color: "#212121", weight: 2.5, dashArray: "8 4", fillOpacity: 0.55, byStatus: true},
    merge_groups: {color: "#00695c", weight: 5, opacity: 0.8, fillOpacity: 0.3, byStatus: true},
    fringe: {color: "#ad1457", weight: 3, dashArray: "1 5", lineCap: "round", fillOpacity: 0.6, byStatus: true},
    fringe_candidates: {color: "#ad1457", weight: 1.5, dashArray: "6 3", fillColor: "#f8bbd0", fillOpacity: 0.35},
    buildings: {color: "#424242", weight: 0.8, fillColor: "#757575", fillOpacity: 0.45},
    issues: {color: "#e65100", weight: 2.5, dashArray: "4 3", fillColor: "#ffb74d", fillOpacity: 0.15},
    other: {color: "#37474f", weight: 1, fillColor: "#90a4ae", fillOpacity: 0.15}
  };
  function layerStyle(key) { return STYLES[key] || STYLES.other; }
  // ---- the page around the map first, so that the map is measured at its final size
  renderHeader();
  renderSide();

  // ---- the map: folium's, made before the header and the panel were filled in, so it
  // learns its final size now (its options: canvas, zoomSnap 0.25, maxZoom 22, no zoom
  // control, attribution only with a basemap)
  map.invalidateSize({pan: false});
  LT.map = map;
  var renderer = L.canvas({padding: 0.5, tolerance: 3});
  var zoom = L.control.zoom({position: "topleft", zoomInTitle: U.zoom_in, zoomOutTitle: U.zoom_out}).addTo(map);
  L.control.scale({imperial: false, position: "bottomleft"}).addTo(map);
  if (map.attributionControl) map.attributionControl.setPrefix("Leaflet");
  if (D.bounds) map.fitBounds(D.bounds, {padding: [24, 24], animate: false});
  else map.setView([29.2, 120.5], 7);

  // ---- geometry: delta-coded integer micro-degrees -> LatLng
  function ring(a) {
    var out = new Array(a.length / 2), x = 0, y = 0;
    for (var k = 0, j = 0; k < a.length; k += 2, j++) {
      x += a[k]; y += a[k + 1];
      out[j] = L.latLng((OY + y) / K, (OX + x) / K);
    }
    return out;
  }
  function polyLatLngs(g) {
    if (!g) return null;
    if (g[0] === 3) return g.slice(1).map(ring);
    if (g[0] === 6) return g.slice(1).map(function (p) { return p.map(ring); });
    return null;
  }
  function toLayers(g, opts, out) {
    if (!g) return out;
    var t = g[0], k;
    if (t === 3 || t === 6) out.push(L.polygon(polyLatLngs(g), opts));
    else if (t === 2) out.push(L.polyline(ring(g[1]), opts));
    else if (t === 5) out.push(L.polyline(g.slice(1).map(ring), opts));
    else if (t === 1 || t === 4) {
      var pts = ring(g[1]);
      for (k = 0; k < pts.length; k++) out.push(L.circleMarker(pts[k], L.extend({radius: 6}, opts)));
    } else if (t === 7) for (k = 1; k < g.length; k++) toLayers(g[k], opts, out);
    return out;
  }
  var PLL = new Array(P.n);
  function parcelLL(i) {
    if (PLL[i] === undefined) PLL[i] = polyLatLngs(P.geom[i]);
    return PLL[i];
  }
  function flatLL(ll, out) {
    out = out || [];
    for (var k = 0; k < ll.length; k++) {
      if (Array.isArray(ll[k])) flatLL(ll[k], out); else out.push(ll[k]);
    }
    return out;
  }

  // ---- parcels: one canvas layer, restyled in place
  var parcels = L.featureGroup(), polys = new Array(P.n), styleCache = {};
  LT.layers.parcels = parcels;
  function parcelStyle(mode, code) {
    var key = (mode === "change" ? "c" : "s") + code;
    if (!styleCache[key]) {
      var c = codeColor(mode, code), quiet = code === "-";
      styleCache[key] = {renderer: renderer, color: c, weight: 1, opacity: quiet ? 0.6 : 0.9, fillColor: c,
                         fillOpacity: quiet ? 0.15 : 0.35};
    }
    return styleCache[key];
  }
  function applyParcels() {
    var mode = state.by, codes = modeCodes(mode), drawn = 0;
    for (var i = 0; i < P.n; i++) {
      var code = codes.charAt(i) || "-", poly = polys[i];
      if (poly === undefined) {
        var ll = parcelLL(i);
        poly = polys[i] = ll ? L.polygon(ll, parcelStyle(mode, code)) : null;
        if (poly) { poly.lt_i = i; poly.lt_key = mode + code; }
      }
      if (!poly) continue;
      if (poly.lt_key !== mode + code) { poly.setStyle(parcelStyle(mode, code)); poly.lt_key = mode + code; }
      var visible = !state.failuresOnly || failing(mode, code);
      if (visible !== !!poly.lt_in) {
        if (visible) parcels.addLayer(poly); else parcels.removeLayer(poly);
        poly.lt_in = visible;
      }
      if (visible) drawn++;
    }
    LT.parcelsDrawn = drawn;
    map.getContainer().setAttribute("data-parcels-drawn", String(drawn));
  }
  parcels.on("click", function (e) { openParcel(e.layer.lt_i, e.latlng); });

  // ---- the further layers
  var specs = {}, extra = {};
  D.layers.forEach(function (spec) {
    specs[spec.key] = spec;
    state.layers[spec.key] = false;
    var group = L.featureGroup();
    group.on("click", function (e) {
      var k = e.layer.lt_k;
      openPopup(e.latlng, function () { return layerPopup(spec, k); });
    });
    extra[spec.key] = group;
    LT.layers["layer:" + spec.key] = group;
  });
  function fillLayer(key) {
    var spec = specs[key], group = extra[key], base = layerStyle(key);
    group.clearLayers();
    group.lt_count = 0;
    for (var k = 0; k < spec.geom.length; k++) {
      var code = spec.status ? spec.status.charAt(k) : "-";
      if (state.failuresOnly && spec.status && base.byStatus && code !== "f") continue;
      var opts = L.extend({renderer: renderer}, base);
      if (base.byStatus) opts.fillColor = colorOf(code);
      var parts = toLayers(spec.geom[k], opts, []);
      for (var j = 0; j < parts.length; j++) { parts[j].lt_k = k; group.addLayer(parts[j]); }
      if (parts.length) group.lt_count++;
    }
  }
  function setLayer(key, on) {
    state.layers[key] = on;
    var group = key === "parcels" ? parcels : extra[key];
    if (on && !map.hasLayer(group)) {
      if (key !== "parcels" && !group.lt_filled) { fillLayer(key); group.lt_filled = true; }
      group.addTo(map);
    } else if (!on && map.hasLayer(group)) map.removeLayer(group);
    restack();
    renderLegend();
  }
  function restack() {
    if (extra.zones && map.hasLayer(extra.zones)) extra.zones.bringToBack();
    D.layers.forEach(function (spec) {
      if (spec.key !== "zones" && map.hasLayer(extra[spec.key])) extra[spec.key].bringToFront();
    });
    if (highlight) highlight.bringToFront();
  }

  // ---- basemaps (the page names them and their attribution in the language shown)
  var bases = D.tiles.map(function (b) {
    var parts = b.layers.map(function (t) { return L.tileLayer(t.url, L.extend({maxZoom: 22}, t.opts)); });
    return parts.length === 1 ? parts[0] : L.layerGroup(parts);
  });
  var attribution = null;
  function baseName(b) { return b.kind === "osm" ? U.osm : (b.kind === "tianditu" ? U.tianditu : U.custom_basemap); }
  function baseAttribution(b) {
    return b.kind === "osm" ? fill(U.osm_attribution, {name: "OpenStreetMap"}) : (b.kind === "tianditu" ? U.tianditu_attribution : "");
  }
  function setBase(k) {
    bases.forEach(function (layer, j) { if (j !== k && map.hasLayer(layer)) map.removeLayer(layer); });
    if (k >= 0 && !map.hasLayer(bases[k])) bases[k].addTo(map);
    state.base = k;
    updateAttribution();
  }
  function updateAttribution() {
    if (!map.attributionControl) return;
    if (attribution) map.attributionControl.removeAttribution(attribution);
    attribution = state.base >= 0 ? F.escape(baseAttribution(D.tiles[state.base])) : null;
    if (attribution) map.attributionControl.addAttribution(attribution);
  }

  // ---- verdict rows of a parcel and of a subject
  function positions(V, i) {
    if (!V.p) return (i < P.n && rowCount(V) === P.n) ? [i] : [];
    if (!V._idx) {
      V._idx = {};
      for (var k = 0; k < V.p.length; k++) (V._idx[V.p[k]] = V._idx[V.p[k]] || []).push(k);
    }
    return V._idx[i] || [];
  }
  var subjectIndex = null;
  function subjectRows(sub, sid, parent) {
    if (!subjectIndex) {
      subjectIndex = {};
      D.verdicts.forEach(function (V) {
        if (!V.sub) return;
        for (var k = 0; k < rowCount(V); k++) {
          var key = V.sub + "\u0001" + String(col(V.sid, k));
          (subjectIndex[key] = subjectIndex[key] || []).push([V, k]);
        }
      });
    }
    var rows = subjectIndex[sub + "\u0001" + String(sid)] || [];
    if (parent === undefined || parent < 0) return rows;
    return rows.filter(function (r) { return rowParcel(r[0], r[1]) === parent || rowParcel(r[0], r[1]) < 0; });
  }
  function rowParcel(V, k) { return V.p ? V.p[k] : k; }
  function rowCols(V, k) {
    var p = rowParcel(V, k), code = statusAt(V, k);
    return {value: col(V.v, k), limit: col(V.l, k), unit: col(V.u, k), headroom: col(V.h, k),
            status: CODE[code] || null, subject_id: V.sub ? col(V.sid, k) : (p >= 0 ? P.id[p] : null),
            parcel_id: p >= 0 ? P.id[p] : col(V.pid, k)};
  }
  function sentence(x, args, cols) {
    var parts = x === null || x === undefined ? null : D.templates[lang][x];
    return F.sentence(W, parts, args, cols);
  }
  function verdictSentence(V, k) { return sentence(rowX(V, k), rowArgs(V, k), rowCols(V, k)); }
  var entryOrder = null;
  function sortRows(rows) {
    if (!entryOrder) {
      entryOrder = {};
      D.verdicts.forEach(function (V, j) { entryOrder[V.r + "\u0001" + (V.sub || "")] = j; });
    }
    var order = entryOrder;
    function rank(r) {
      var code = statusAt(r[0], r[1]), k = POPUP_RANK[code];
      if (k === undefined) return 4;
      return code === "f" && INFORMATION[r[0].r] ? 0.5 : k;
    }
    return rows.sort(function (a, b) {
      var ra = rank(a), rb = rank(b);
      if (ra !== rb) return ra - rb;
      var oa = order[a[0].r + "\u0001" + (a[0].sub || "")], ob = order[b[0].r + "\u0001" + (b[0].sub || "")];
      return oa !== ob ? oa - ob : a[1] - b[1];
    });
  }
  function statusCell(code, tag) {
    var td = el(tag || "td", "lt-st" + (code === "f" ? " lt-fail" : ""));
    var sw = el("span", "lt-sw"); sw.style.background = colorOf(code);
    td.appendChild(sw); td.appendChild(document.createTextNode(statusWord(code)));
    return td;
  }
  function verdictTable(rows, withSubject) {
    var t = el("table", "lt-vt"), head = el("tr");
    [U.rule, U.status, U.value, U.limit, U.headroom, U.clause].forEach(function (c) { head.appendChild(el("th", null, c)); });
    t.appendChild(head);
    sortRows(rows).forEach(function (r) {
      var V = r[0], k = r[1], code = statusAt(V, k), u = col(V.u, k);
      var tr = el("tr", "lt-row"), name = el("td");
      tr.setAttribute("data-rule", V.r);
      tr.setAttribute("data-status", CODE[code] || "");
      tr.setAttribute("data-subject", V.sub || "parcel");
      name.appendChild(el("div", "lt-rn", ruleName(V.r)));
      if (V.sub && withSubject) name.appendChild(el("div", "lt-sub", subjectName(V.sub) + " " + show(col(V.sid, k))));
      tr.appendChild(name);
      tr.appendChild(statusCell(code));
      tr.appendChild(el("td", "lt-num", withUnit(col(V.v, k), u)));
      tr.appendChild(el("td", "lt-num", withUnit(col(V.l, k), u)));
      tr.appendChild(el("td", "lt-num", show(col(V.h, k))));
      tr.appendChild(el("td", "lt-clause", show(col(V.c, k))));
      t.appendChild(tr);
      var s = verdictSentence(V, k), tr2 = el("tr", "lt-sent"), td = el("td", null, s === null ? "" : s);
      td.colSpan = 6;
      tr2.setAttribute("data-rule", V.r);
      tr2.appendChild(td);
      t.appendChild(tr2);
    });
    return t;
  }
  function verdictsBlock(box, rows, withSubject) {
    if (!rows.length) { box.appendChild(el("div", "lt-vh", U.no_verdicts)); return; }
    box.appendChild(el("div", "lt-vh", fill(U.verdicts, {n: rows.length})));
    box.appendChild(verdictTable(rows, withSubject));
  }
  function attrRow(t, label, value) {
    var tr = el("tr");
    tr.appendChild(el("td", null, label));
    if (value instanceof Node) { var td = el("td"); td.appendChild(value); tr.appendChild(td); }
    else tr.appendChild(el("td", null, value));
    t.appendChild(tr);
    return tr;
  }

  // ---- popups
  var highlight = null;
  function openPopup(latlng, build) {
    var size = map.getSize();
    LT.popupBuild = build;
    LT.popup = L.popup({maxWidth: Math.max(260, Math.min(660, size.x - 40)), minWidth: Math.min(300, size.x - 40),
                        maxHeight: Math.max(180, Math.min(size.y - 70, Math.round(size.y * 0.72))), autoPanPaddingTopLeft: [52, 14], autoPanPaddingBottomRight: [14, 14]})
      .setLatLng(latlng).setContent(build()).openOn(map);
    labelPopupClose();
  }
  function labelPopupClose() {
    var b = LT.popup && LT.popup.getElement() && LT.popup.getElement().querySelector(".leaflet-popup-close-button");
    if (b) { b.setAttribute("aria-label", U.close); b.setAttribute("title", U.close); }
  }
  map.on("popupclose", function () {
    if (highlight) { map.removeLayer(highlight); highlight = null; }
    LT.popupBuild = null;
  });
  function openParcel(i, latlng) {
    var ll = parcelLL(i);
    if (highlight) { map.removeLayer(highlight); highlight = null; }
    if (ll) highlight = L.polygon(ll, {renderer: renderer, interactive: false, fill: false, color: "#1565c0", weight: 3.5}).addTo(map);
    if (!latlng) latlng = ll ? L.latLngBounds(flatLL(ll)).getCenter() : map.getCenter();
    openPopup(latlng, function () { return parcelPopup(i); });
  }
  function parcelRows(i) {
    var rows = [];
    D.verdicts.forEach(function (V) { positions(V, i).forEach(function (k) { rows.push([V, k]); }); });
    return rows;
  }
  function parcelPopup(i) {
    var box = el("div", "lt-popup");
    box.setAttribute("data-parcel-index", String(i));
    box.appendChild(el("div", "lt-pt", U.parcel + " " + P.id[i]));
    var t = el("table", "lt-attr"), o = P.owner[i];
    attrRow(t, U.owner, o >= 0 ? P.owners[o] : "—");
    attrRow(t, U.area, withUnit(P.area_m2[i], "m2") + (P.area_mu[i] === null ? "" : paren(withUnit(P.area_mu[i], "mu"))))
      .setAttribute("data-field", "area");
    attrRow(t, U.far, show(P.far[i]));
    var hs = col(P.hsrc, i);
    attrRow(t, U.height, withUnit(P.height[i], "m") + (hs ? paren(own.call(U.height_source, hs) ? U.height_source[hs] : hs) : ""));
    var overall = P.status.overall.charAt(i), cell = el("span");
    cell.appendChild(statusCell(overall, "span"));
    attrRow(t, U.overall, cell);
    box.appendChild(t);
    if (D.compare) changesBlock(box, i);
    verdictsBlock(box, parcelRows(i), true);
    return box;
  }
  function openParcelButton(box, p) {
    if (p === null || p === undefined || p < 0) return;
    var b = el("button", "lt-open", fill(U.open_parcel, {id: P.id[p]}));
    b.addEventListener("click", function () { openParcel(p); });
    box.appendChild(b);
  }
  function cellText(c, v) {
    if (v === null || v === undefined || v === "") return "—";
    if (v === true) return U.yes;
    if (v === false) return U.no;
    if (c === "status") return own.call(W.statuses, v) ? W.statuses[v] : String(v);
    if (own.call(U.values, c) && own.call(U.values[c], v)) return U.values[c][v];
    return typeof v === "number" ? num(v) : String(v);
  }
  function layerPopup(spec, k) {
    if (spec.key === "issues") return issuePopup(spec, k);
    var box = el("div", "lt-popup");
    box.setAttribute("data-layer", spec.key);
    var id = spec.cols.length ? cellText(spec.cols[0], col(spec.vals[0], k)) : "";
    box.appendChild(el("div", "lt-pt", layerName(spec.key) + (id && id !== "—" ? " " + id : "")));
    var t = el("table", "lt-attr");
    spec.cols.forEach(function (c, j) {
      var v = col(spec.vals[j], k);
      if (c === "status" && spec.status) attrRow(t, columnName(c), statusCell(spec.status.charAt(k), "span"));
      else attrRow(t, columnName(c), cellText(c, v));
    });
    box.appendChild(t);
    var parent = spec.parcel ? spec.parcel[k] : -1;
    if (spec.sub) {
      var rows = subjectRows(spec.sub, spec.sid[k], spec.sub === "split_piece" ? parent : undefined).slice();
      if (spec.sub === "split_piece" && parent >= 0) {
        D.verdicts.forEach(function (V) {
          if (V.sub === "split_plan") positions(V, parent).forEach(function (j) { rows.push([V, j]); });
        });
      }
      if (spec.sub === "fringe") {
        var host = parent >= 0 ? P.id[parent] : col(spec.vals[spec.cols.indexOf("host_parcel_id")], k);
        if (host !== null && host !== undefined) rows = rows.concat(subjectRows("host", host));
      }
      verdictsBlock(box, rows, true);
    }
    openParcelButton(box, parent);
    return box;
  }
  function issuePopup(spec, k) {
    var I = spec.issue, box = el("div", "lt-popup");
    box.setAttribute("data-layer", "issues");
    var problem = col(I.problem, k);
    box.appendChild(el("div", "lt-pt", U.issue));
    var t = el("table", "lt-attr"), layer = col(I.layer, k), feature = col(I.feature, k);
    if (problem !== null && own.call(W.problems, problem)) attrRow(t, U.problem, W.problems[problem]);
    var detail = col(I.detail[lang], k);
    attrRow(t, own.call(W.problems, problem) ? "" : U.problem, detail === null ? "—" : detail).setAttribute("data-field", "detail");
    if (layer !== null) attrRow(t, U.layer, own.call(W.inputs, layer) ? W.inputs[layer] : layer);
    if (feature !== null) attrRow(t, U.feature, show(feature));
    var area = I.area ? col(I.area, k) : null;
    if (area !== null && area !== undefined) attrRow(t, columnName("value_m2"), num(area));
    box.appendChild(t);
    openParcelButton(box, spec.parcel ? spec.parcel[k] : -1);
    return box;
  }

  // ---- the changes between two checks (compare maps)
  function changeRows(i) {
    var rows = [];
    D.compare.groups.forEach(function (G) {
      if (!G._idx) {
        G._idx = {};
        for (var k = 0; k < G.p.length; k++) (G._idx[G.p[k]] = G._idx[G.p[k]] || []).push(k);
      }
      (G._idx[i] || []).forEach(function (k) { rows.push([G, k]); });
    });
    return rows.sort(function (a, b) { return codeAt(a[0].k, a[1]) - codeAt(b[0].k, b[1]); });
  }
  function sideRow(t, G, k, side, label) {
    var code = (G["s" + side] || "").charAt(k), u = col(G["u" + side], k), tr = el("tr");
    tr.setAttribute("data-side", side);
    tr.appendChild(el("td", "lt-side-label", label));
    tr.appendChild(statusCell(code || "-"));
    tr.appendChild(el("td", "lt-num", withUnit(col(G["v" + side], k), u)));
    tr.appendChild(el("td", "lt-num", withUnit(col(G["l" + side], k), u)));
    var s = sideSentence(G, k, side);
    tr.appendChild(el("td", "lt-sentence", s === null ? "—" : s));
    t.appendChild(tr);
  }
  function sideSentence(G, k, side) {
    var code = (G["s" + side] || "").charAt(k), p = G.p[k];
    var cols = {value: col(G["v" + side], k), limit: col(G["l" + side], k), unit: col(G["u" + side], k),
                headroom: col(G["h" + side], k), status: CODE[code] || null,
                subject_id: G.sub ? col(G.sid, k) : (p >= 0 ? P.id[p] : null), parcel_id: p >= 0 ? P.id[p] : col(G.pid, k)};
    return sentence(col(G["x" + side], k), argsAt(G["a" + side], k), cols);
  }
  function changesBlock(box, i) {
    var rows = changeRows(i);
    if (!rows.length) { box.appendChild(el("div", "lt-vh", U.no_change)); return; }
    box.appendChild(el("div", "lt-vh", fill(U.changes, {n: rows.length})));
    var t = el("table", "lt-vt lt-ct");
    rows.forEach(function (r) {
      var G = r[0], k = r[1], kc = D.changeKinds[String.fromCharCode(97 + codeAt(G.k, k))];
      var tr = el("tr", "lt-row"), td = el("td");
      tr.setAttribute("data-rule", G.r);
      tr.setAttribute("data-kind", kc);
      td.colSpan = 5;
      td.appendChild(el("span", "lt-rn", ruleName(G.r)));
      if (G.sub) td.appendChild(el("span", "lt-sub", " " + subjectName(G.sub) + " " + show(col(G.sid, k))));
      var kind = el("span", "lt-kind", " · " + U.kind + U.colon + F.term(W, "change_kind", kc));
      kind.style.color = D.changeColors[String.fromCharCode(97 + codeAt(G.k, k))];
      td.appendChild(kind);
      tr.appendChild(td);
      t.appendChild(tr);
      sideRow(t, G, k, "a", D.compare.a);
      sideRow(t, G, k, "b", D.compare.b);
    });
    box.appendChild(t);
  }

  // ---- header: what was checked
  function item(parent, text, key) {
    var s = el("span", "lt-item");
    if (key) s.appendChild(el("span", "lt-k", key));
    s.appendChild(document.createTextNode(text));
    parent.appendChild(s);
    return s;
  }
  function renderHeader() {
    var H = D.header, hd = document.getElementById("lt-header");
    clear(hd);
    var r1 = el("div", "lt-row1");
    r1.appendChild(el("span", "lt-h1", D.compare ? U.compare_title : U.title));
    var pt = el("span", "lt-ptitle", H.title[lang] || "");
    pt.title = H.title[lang] || "";
    r1.appendChild(pt);
    Object.keys(D.langs).forEach(function (code) {
      if (code === lang) return;
      var b = el("button", "lt-lang", D.langs[code]);
      b.setAttribute("lang", code === "zh" ? "zh-CN" : code);
      b.setAttribute("data-lang", code);
      b.title = U.switch_language;
      b.addEventListener("click", function () { setLang(code); });
      r1.appendChild(b);
    });
    hd.appendChild(r1);
    var line = el("div", "lt-line");
    if (H.packId || H.document) item(line, [H.packId, H.document].filter(Boolean).join(" "), U.policy);
    if (H.asOf) item(line, H.asOf, U.as_of);
    if (H.issued && H.validUntil) item(line, fill(U.validity, {issued: H.issued, valid_until: H.validUntil}));
    else if (H.validUntil) item(line, fill(U.valid_until, {valid_until: H.validUntil}));
    else if (H.issued) item(line, fill(U.valid_from, {issued: H.issued}));
    if (D.compare) item(line, fill(U.compared, {a: D.compare.a, b: D.compare.b}));
    if (H.created) item(line, fill(U.created, {created: H.created}) + (H.version ? " · landtool " + H.version : ""));
    hd.appendChild(line);
    if (H.inputs.length) {
      var inputs = el("div", "lt-line lt-inputs");
      inputs.appendChild(el("span", "lt-k", U.inputs + U.colon));
      H.inputs.forEach(function (x) {
        var name = own.call(W.inputs, x.role) ? W.inputs[x.role] : x.role;
        var s = item(inputs, name + " " + x.name + (x.features === null ? "" : paren(fill(U.features, {n: num(x.features)}))));
        s.setAttribute("data-role", x.role);
      });
      hd.appendChild(inputs);
    }
    var notes = [];
    if (H.sample) notes.push(["lt-sample", H.sample === true ? U.sample : H.sample[lang]]);
    (H.warnings[lang] || []).forEach(function (w) { notes.push(["lt-warn", U.warning + U.colon + w]); });
    if (notes.length) {
      var box = el("div", "lt-notes" + (state.notesOpen ? " lt-open" : ""));
      notes.forEach(function (n, j) {
        var line = el("div", n[0] + " lt-note-line", n[1]);
        line.title = n[1];
        if (!state.notesOpen && j > 0) line.style.display = "none";
        box.appendChild(line);
      });
      if (notes.length > 1) {
        var more = el("button", "lt-more", state.notesOpen ? U.hide : fill(U.more_notes, {n: notes.length - 1}));
        more.setAttribute("aria-expanded", state.notesOpen ? "true" : "false");
        more.addEventListener("click", function () {
          state.notesOpen = !state.notesOpen;
          renderHeader();
          map.invalidateSize({pan: false});
        });
        box.insertBefore(more, box.firstChild);
      }
      hd.appendChild(box);
    }
  }

  // ---- side panel: search, colouring, filters, layers, basemap, legend
  function swatch(style, fillColor) {
    var NS = "http://www.w3.org/2000/svg", svg = document.createElementNS(NS, "svg"), r = document.createElementNS(NS, "rect");
    svg.setAttribute("class", "lt-swatch");
    svg.setAttribute("viewBox", "0 0 22 14");
    var w = Math.min(style.weight || 1, 4);
    r.setAttribute("x", String(w / 2 + 0.5)); r.setAttribute("y", String(w / 2 + 0.5));
    r.setAttribute("width", String(21 - w)); r.setAttribute("height", String(13 - w));
    r.setAttribute("fill", fillColor || style.fillColor || style.color);
    r.setAttribute("fill-opacity", String(style.fill === false ? 0 : Math.max(style.fillOpacity || 0.2, 0.15)));
    r.setAttribute("stroke", style.color);
    r.setAttribute("stroke-opacity", String(style.opacity || 1));
    r.setAttribute("stroke-width", String(w));
    if (style.dashArray) r.setAttribute("stroke-dasharray", style.dashArray.split(" ").map(function (x) { return String(Number(x) * 0.6); }).join(" "));
    if (style.lineCap) r.setAttribute("stroke-linecap", style.lineCap);
    svg.appendChild(r);
    return svg;
  }
  function check(parent, key, labelText, checked, onChange, sw) {
    var label = el("label"), input = el("input");
    input.type = "checkbox";
    input.checked = !!checked;
    input.setAttribute("data-layer", key);
    input.addEventListener("change", function () { onChange(input.checked); });
    label.appendChild(input);
    if (sw) label.appendChild(sw);
    label.appendChild(el("span", null, labelText));
    parent.appendChild(label);
    return input;
  }
  function renderSide() {
    var side = document.getElementById("lt-side");
    clear(side);
    side.classList.toggle("lt-collapsed", !state.panel);
    var head = el("div", "lt-sh"), toggle = el("button", "lt-toggle", state.panel ? U.hide : U.show);
    head.appendChild(el("span", "lt-st", U.panel));
    toggle.setAttribute("aria-expanded", state.panel ? "true" : "false");
    toggle.addEventListener("click", function () {
      state.panel = !state.panel;
      renderSide();
      map.invalidateSize({pan: false});
    });
    head.appendChild(toggle);
    side.appendChild(head);
    var body = el("div", "lt-body");
    side.appendChild(body);

    var search = el("section", "lt-search"), input = el("input", "lt-q"), go = el("button", "lt-go", U.search_go);
    var info = el("span", "lt-info", state.info);
    input.type = "search"; input.placeholder = U.search_placeholder; input.value = state.query;
    function run() {
      state.query = input.value;
      var r = LT.search(input.value);
      state.info = r ? r.index + "/" + r.count : (input.value.trim() ? U.no_match : "");
      info.textContent = state.info;
    }
    input.addEventListener("keydown", function (e) { if (e.key === "Enter") run(); });
    go.addEventListener("click", run);
    search.appendChild(input); search.appendChild(go); search.appendChild(info);
    body.appendChild(search);

    var colour = el("section", "lt-colour"), sel = el("select", "lt-by");
    colour.appendChild(el("h3", null, U.colour_by));
    function option(parent, value, text) {
      var o = el("option", null, text); o.value = value; o.selected = value === state.by; parent.appendChild(o);
    }
    if (D.compare) option(sel, "change", U.by_change);
    option(sel, "overall", W.families.overall);
    if (P.families.length) {
      var fam = el("optgroup"); fam.label = U.by_family;
      P.families.forEach(function (f) { option(fam, "fam:" + f, own.call(W.families, f) ? W.families[f] : f); });
      sel.appendChild(fam);
    }
    if (D.rules.length) {
      var rules = el("optgroup"); rules.label = U.by_rule;
      D.rules.forEach(function (r) { option(rules, "rule:" + r, ruleName(r)); });
      sel.appendChild(rules);
    }
    sel.addEventListener("change", function () { colourBy(sel.value); });
    colour.appendChild(sel);
    check(colour, "failures", U.failures_only, state.failuresOnly, function (on) { setFailuresOnly(on); });
    body.appendChild(colour);

    var layers = el("section", "lt-layers");
    layers.appendChild(el("h3", null, U.layers));
    check(layers, "parcels", U.parcels + paren(num(P.n)), state.layers.parcels, function (on) { setLayer("parcels", on); },
          swatch({color: "#546e7a", weight: 1, fillOpacity: 0.35}, "#90a4ae"));
    D.layers.forEach(function (spec) {
      var st = layerStyle(spec.key);
      check(layers, spec.key, layerName(spec.key) + paren(num(spec.geom.length)), state.layers[spec.key],
            function (on) { setLayer(spec.key, on); }, swatch(st, st.byStatus ? "#bdbdbd" : null));
    });
    body.appendChild(layers);

    if (D.tiles.length) {
      var basemaps = el("section", "lt-bases");
      basemaps.appendChild(el("h3", null, U.basemap));
      D.tiles.concat([null]).forEach(function (b, j) {
        var k = b ? j : -1, label = el("label"), radio = el("input");
        radio.type = "radio"; radio.name = "lt-base"; radio.checked = state.base === k;
        radio.setAttribute("data-base", b ? b.kind : "none");
        radio.addEventListener("change", function () { if (radio.checked) setBase(k); });
        label.appendChild(radio);
        label.appendChild(el("span", null, b ? baseName(b) : U.no_basemap));
        basemaps.appendChild(label);
      });
      body.appendChild(basemaps);
    }
    var legend = el("section", "lt-legend");
    legend.id = "lt-legend";
    body.appendChild(legend);
    renderLegend();
  }
  function legendRow(parent, sw, text, count) {
    var r = el("div", "lt-lrow");
    r.appendChild(sw);
    r.appendChild(el("span", null, text));
    if (count !== undefined) r.appendChild(el("span", "lt-count", String(count)));
    parent.appendChild(r);
    return r;
  }
  function renderLegend() {
    var box = document.getElementById("lt-legend");
    if (!box) return;
    clear(box);
    box.appendChild(el("h3", null, U.legend));
    var mode = state.by, codes = modeCodes(mode), counts = {};
    for (var i = 0; i < codes.length; i++) { var c = codes.charAt(i); counts[c] = (counts[c] || 0) + 1; }
    box.appendChild(el("div", "lt-note", fill(U.legend_by, {by: modeName(mode)})));
    var letters = mode === "change" ? Object.keys(D.changeKinds).concat(["-"]) : STATUS_LETTERS.concat(["-"]);
    letters.forEach(function (c) {
      if (!counts[c] && (c === "-" || mode === "change")) return;
      var text = mode === "change" ? (c === "-" ? U.no_change : F.term(W, "change_kind", D.changeKinds[c])) : statusWord(c);
      var colour = codeColor(mode, c);
      var row = legendRow(box, swatch({color: colour, weight: 1, opacity: 0.9, fillOpacity: c === "-" ? 0.15 : 0.35}, colour), text, num(counts[c] || 0));
      row.setAttribute("data-code", c);
      if (mode !== "change" && CODE[c]) row.setAttribute("data-status", CODE[c]);
    });
    if (mode === "change") box.appendChild(el("div", "lt-note", U.first_kind));
    legendRow(box, swatch({color: "#1565c0", weight: 3.5, fill: false}), U.selected);
    var byStatus = false, first = true;
    D.layers.forEach(function (spec) {
      if (!state.layers[spec.key]) return;
      if (first) { box.appendChild(el("div", "lt-lsub", U.layers)); first = false; }
      var st = layerStyle(spec.key);
      byStatus = byStatus || !!st.byStatus;
      legendRow(box, swatch(st, st.byStatus ? "#bdbdbd" : null), layerName(spec.key)).setAttribute("data-layer", spec.key);
    });
    if (byStatus) box.appendChild(el("div", "lt-note", U.status_fill));
  }

  function colourBy(mode) {
    state.by = mode;
    applyParcels();
    renderLegend();
  }
  function setFailuresOnly(on) {
    state.failuresOnly = on;
    applyParcels();
    D.layers.forEach(function (spec) {
      var g = extra[spec.key];
      if (g.lt_filled && layerStyle(spec.key).byStatus) fillLayer(spec.key);
    });
    restack();
    renderLegend();
  }

  // ---- language
  function applyLang() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : lang;
    document.title = (D.compare ? U.compare_title : U.title) + (D.header.packId ? " · " + [D.header.packId, D.header.document].filter(Boolean).join(" ") : "");
    map.getContainer().setAttribute("data-lang", lang);
    zoom._zoomInButton.title = U.zoom_in; zoom._zoomInButton.setAttribute("aria-label", U.zoom_in);
    zoom._zoomOutButton.title = U.zoom_out; zoom._zoomOutButton.setAttribute("aria-label", U.zoom_out);
    updateAttribution();
  }
  function setLang(code) {
    if (!own.call(D.words, code)) return;
    lang = code; W = D.words[code]; U = W.ui;
    if (state.info && state.info.indexOf("/") < 0) state.info = state.query.trim() ? U.no_match : "";
    renderHeader();
    renderSide();
    applyLang();
    if (LT.popup && map.hasLayer(LT.popup) && LT.popupBuild) { LT.popup.setContent(LT.popupBuild()); labelPopupClose(); }
    map.invalidateSize({pan: false});
  }

  // ---- search by parcel id or owner
  var lowIds = null, lowOwners = null, last = {q: null, hits: [], k: -1};
  function findParcels(q) {
    q = String(q || "").trim().toLowerCase();
    if (!q) return [];
    if (!lowIds) {
      lowIds = P.id.map(function (s) { return String(s).toLowerCase(); });
      lowOwners = P.owners.map(function (s) { return String(s).toLowerCase(); });
    }
    var exact = [], part = [];
    for (var i = 0; i < P.n; i++) {
      if (lowIds[i] === q) exact.push(i);
      else if (lowIds[i].indexOf(q) >= 0) part.push(i);
      else { var o = P.owner[i]; if (o >= 0 && lowOwners[o].indexOf(q) >= 0) part.push(i); }
    }
    return exact.concat(part);
  }
  function zoomTo(i) {
    if (!map.hasLayer(parcels)) { setLayer("parcels", true); renderSide(); }
    var ll = parcelLL(i);
    if (ll) map.fitBounds(L.latLngBounds(flatLL(ll)), {maxZoom: 19, animate: false, padding: [40, 40]});
    openParcel(i);
  }
  LT.search = function (q) {
    q = String(q || "").trim();
    if (q !== last.q) last = {q: q, hits: findParcels(q), k: -1};
    if (!last.hits.length) return null;
    last.k = (last.k + 1) % last.hits.length;
    zoomTo(last.hits[last.k]);
    return {id: P.id[last.hits[last.k]], index: last.k + 1, count: last.hits.length};
  };
  LT.openParcel = function (id, keepView) {
    var i = P.id.indexOf(String(id));
    if (i < 0) return false;
    if (keepView) openParcel(i); else zoomTo(i);
    return true;
  };
  LT.setLang = setLang;
  LT.colourBy = function (mode) { colourBy(mode); renderSide(); };
  LT.setFailuresOnly = function (on) { setFailuresOnly(on); renderSide(); };
  LT.setLayer = function (key, on) { setLayer(key, on); renderSide(); };
  LT.lang = function () { return lang; };
  LT.modeCodes = modeCodes;
  // the sentences of a parcel's popup rows, in the language shown: [rule, subject id, status, sentence]
  LT.sentences = function (i) {
    return parcelRows(i).map(function (r) {
      var V = r[0], k = r[1];
      return [V.r, V.sub ? col(V.sid, k) : P.id[i], CODE[statusAt(V, k)] || null, verdictSentence(V, k)];
    });
  };

  // every verdict row and its sentence in the language shown: [rule, subject, subject id,
  // parcel id, status, sentence] (and the changes of a compare map, with both sentences)
  LT.rows = function () {
    var out = [];
    D.verdicts.forEach(function (V) {
      for (var k = 0; k < rowCount(V); k++) {
        var p = rowParcel(V, k), c = rowCols(V, k);
        out.push([V.r, V.sub || "parcel", c.subject_id, c.parcel_id, c.status, verdictSentence(V, k)]);
      }
    });
    return out;
  };
  LT.changes = function () {
    var out = [];
    (D.compare ? D.compare.groups : []).forEach(function (G) {
      for (var k = 0; k < G.p.length; k++) {
        var kc = D.changeKinds[String.fromCharCode(97 + codeAt(G.k, k))];
        out.push([G.r, G.sub || "parcel", G.sub ? col(G.sid, k) : P.id[G.p[k]], kc, sideSentence(G, k, "a"), sideSentence(G, k, "b")]);
      }
    });
    return out;
  };

  // ---- start
  state.layers.parcels = true;
  LT.timing.setup = performance.now();
  applyParcels();
  LT.timing.built = performance.now();
  parcels.addTo(map);
  LT.timing.added = performance.now();
  if (state.base >= 0) setBase(state.base);
  applyLang();
  LT.timing.ui = performance.now();
  requestAnimationFrame(function () {
    requestAnimationFrame(function () {
      LT.timing.drawn = performance.now();
      LT.ready = true;
      map.getContainer().setAttribute("data-ready", "1");
    });
  });
};
