/* landtool map: sentences from templates and numbers, exactly as
   landtool.messages.Catalogue.format writes them (tests/test_map_sentences.py compares
   the two on the same rows). A template arrives parsed by Python's string.Formatter:
   literal strings and fields [name, spec, conversion]. */
var landtoolFormat = (function () {
  "use strict";
  var own = Object.prototype.hasOwnProperty;

  function missing(v) {
    return v === null || v === undefined || (typeof v === "number" && isNaN(v));
  }

  // format(x, ".{p}f") in Python: the exact binary value rounded half to even.
  function fixed(x, p) {
    if (!isFinite(x)) return isNaN(x) ? "nan" : (x > 0 ? "inf" : "-inf");
    var s = x.toFixed(p);
    if (Math.abs(x) < 1e21) {
      var full = Math.abs(x).toFixed(100), dot = full.indexOf(".");
      var rest = full.slice(dot + 1 + p);
      if (rest.charAt(0) === "5" && /^50*$/.test(rest)) {   // an exact tie: toFixed rounds it up
        var head = p ? full.slice(0, dot + 1 + p) : full.slice(0, dot);
        if ((head.charCodeAt(head.length - 1) - 48) % 2 === 0) s = (x < 0 ? "-" : "") + head;
      }
    }
    if (x === 0 && 1 / x < 0 && s.charAt(0) !== "-") s = "-" + s;
    return s;
  }

  function group(s, sep) {
    if (!sep) return s;
    var sign = /^[-+ ]/.test(s) ? s.charAt(0) : "", body = sign ? s.slice(1) : s;
    var m = /^(\d+)(.*)$/.exec(body);
    if (!m) return s;
    return sign + m[1].replace(/\B(?=(\d{3})+(?!\d))/g, sep) + m[2];
  }

  // str(x) of a Python float or int (JSON cannot tell 3 from 3.0: 3).
  function pyNumber(x) {
    if (!isFinite(x)) return isNaN(x) ? "nan" : (x > 0 ? "inf" : "-inf");
    if (Number.isInteger(x) && Math.abs(x) < 1e16) return String(x);
    var a = Math.abs(x);
    if (a >= 1e16 || (a !== 0 && a < 1e-4)) {
      var e = x.toExponential(), k = e.indexOf("e");
      var exp = e.slice(k + 1), sign = exp.charAt(0) === "-" ? "-" : "+";
      exp = exp.replace(/^[-+]/, "");
      return e.slice(0, k) + "e" + sign + (exp.length < 2 ? "0" + exp : exp);
    }
    return String(x);
  }

  function pyStr(v) {
    if (v === null || v === undefined) return "None";
    if (v === true) return "True";
    if (v === false) return "False";
    if (typeof v === "number") return pyNumber(v);
    if (Array.isArray(v)) return "[" + v.map(pyRepr).join(", ") + "]";
    return String(v);
  }
  function pyRepr(v) {
    return typeof v === "string" ? "'" + v.replace(/\\/g, "\\\\").replace(/'/g, "\\'") + "'" : pyStr(v);
  }

  var SPEC = /^(?:(.)?([<>=^]))?([-+ ])?(z)?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/;

  function pad(body, sign, fill, align, width, numeric) {
    var len = sign.length + body.length;
    if (!width || len >= width) return sign + body;
    var n = width - len, f = fill;
    if (!align) align = numeric ? ">" : "<";
    if (align === "=") return sign + new Array(n + 1).join(f) + body;
    if (align === "<") return sign + body + new Array(n + 1).join(f);
    if (align === "^") {
      var left = Math.floor(n / 2);
      return new Array(left + 1).join(f) + sign + body + new Array(n - left + 1).join(f);
    }
    return new Array(n + 1).join(f) + sign + body;
  }

  // format(value, spec) for the specs templates use: fill, align, sign, width,
  // grouping, precision and the types f F % d e E (numbers) and s (text).
  function pyFormat(v, spec) {
    var m = SPEC.exec(spec);
    if (!m) return pyStr(v);
    var fill = m[1] || (m[6] && !m[2] ? "0" : " "), align = m[2] || (m[6] && !m[2] ? "=" : "");
    var signFlag = m[3] || "-", width = m[7] ? parseInt(m[7], 10) : 0, sep = m[8] || "";
    var prec = m[9] !== undefined ? parseInt(m[9], 10) : null, type = m[10] || "";
    if (typeof v === "boolean") v = v ? 1 : 0;
    if (typeof v !== "number") {
      var s = pyStr(v);
      if (prec !== null) s = s.slice(0, prec);
      return pad(s, "", fill, align, width, false);
    }
    var a = Math.abs(v), body;
    var negative = v < 0 || (v === 0 && 1 / v < 0);
    if (type === "f" || type === "F") body = fixed(a, prec === null ? 6 : prec);
    else if (type === "%") body = fixed(a * 100, prec === null ? 6 : prec) + "%";
    else if (type === "d") body = String(Math.round(a));
    else if (type === "e" || type === "E") {
      body = a.toExponential(prec === null ? 6 : prec).replace(/e([-+])(\d)$/, "e$10$2");
      if (type === "E") body = body.toUpperCase();
    } else if (prec !== null) {
      body = String(Number(a.toPrecision(Math.max(prec, 1))));
    } else body = pyNumber(a);
    body = group(body, sep);
    if (body.charAt(0) === "-") body = body.slice(1);
    var sign = negative ? "-" : (signFlag === "+" ? "+" : (signFlag === " " ? " " : ""));
    return pad(body, sign, fill, align, width, true);
  }

  // landtool.messages.fmt_number
  function number(v, spec) {
    if (missing(v)) return "—";
    if (typeof v === "boolean") return v ? "True" : "False";
    if (spec) return pyFormat(v, spec);
    if (typeof v === "number") {
      if (!isFinite(v)) return pyNumber(v);
      var t = group(fixed(v, 6), ",").replace(/0+$/, "").replace(/\.$/, "");
      return (t === "" || t === "-0") ? "0" : t;
    }
    return String(v);
  }

  function key(code) {
    if (code === true) return "true";
    if (code === false) return "false";
    return typeof code === "number" ? pyNumber(code) : String(code);
  }

  function term(W, group, code) {
    var terms = (W.terms || {})[group] || {}, k = key(code);
    var word = own.call(terms, k) ? terms[k] : null;
    return word === null || word === undefined ? pyStr(code) : pyStr(word);
  }

  function inputName(W, code) {
    var k = key(code), w = own.call(W.inputs || {}, k) ? W.inputs[k] : null;
    if (w !== null && w !== undefined) return pyStr(w);
    w = own.call(W.fields || {}, k) ? W.fields[k] : null;
    if (w !== null && w !== undefined) return W.lang === "zh" ? pyStr(w) + "（" + pyStr(code) + "）" : pyStr(w) + " (" + pyStr(code) + ")";
    return pyStr(code);
  }

  function truthy(v) {
    if (Array.isArray(v)) return v.length > 0;
    if (v && typeof v === "object") return Object.keys(v).length > 0;
    return !!v;
  }

  function field(W, name, value, spec, conv) {
    var items;
    if (conv === "t") {
      if (Array.isArray(value)) return value.map(function (v) { return term(W, name, v); }).join(W.sep);
      return missing(value) ? "—" : term(W, name, value);
    }
    if (conv === "i") {
      items = Array.isArray(value) ? value : (missing(value) ? [] : [value]);
      return items.map(function (v) { return inputName(W, v); }).join(W.alt);
    }
    if (conv === "l" || Array.isArray(value)) {
      if (Array.isArray(value)) items = value;
      else if (typeof value === "string") items = Array.from(value);
      else items = truthy(value) ? [value] : [];
      return items.map(function (v) { return typeof v === "number" ? number(v, "") : pyStr(v); }).join(W.sep);
    }
    if (conv === "p") {
      if (missing(value)) return "—";
      var f = typeof value === "boolean" ? (value ? 1 : 0) : Number(value);
      return number(Number(fixed(f * 100, 4))) + "%";
    }
    return missing(value) ? "—" : number(value, spec);
  }

  function lookup(args, name) {
    var value = args, parts = name.split(".");
    for (var k = 0; k < parts.length; k++) {
      if (value === null || typeof value !== "object" || Array.isArray(value)) return null;
      value = own.call(value, parts[k]) ? value[parts[k]] : null;
    }
    return value === undefined ? null : value;
  }

  // Catalogue.format(template, args)
  function format(W, parts, args) {
    var out = "";
    for (var k = 0; k < parts.length; k++) {
      var part = parts[k];
      if (typeof part === "string") { out += part; continue; }
      var segs = part[0].split(".");
      out += field(W, segs[segs.length - 1], lookup(args, part[0]), part[1], part[2]);
    }
    return out;
  }

  // render_verdicts: the row's columns over its args, then the 原则上 note.
  function sentence(W, parts, args, cols) {
    if (!parts) return null;
    var ctx = {}, k;
    for (k in args) if (own.call(args, k)) ctx[k] = args[k];
    for (k in cols) if (own.call(cols, k)) ctx[k] = cols[k];
    var text = format(W, parts, ctx);
    if (truthy(ctx.discretionary)) text += W.discretion || "";
    return text;
  }

  function escape(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }

  return {format: format, sentence: sentence, number: number, term: term, fixed: fixed, pyFormat: pyFormat, escape: escape};
})();
