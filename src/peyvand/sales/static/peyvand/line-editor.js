/* The line-item editor of quotes, orders and invoices (sales/_line_editor.html): add and remove rows, pick a
   product to fill in its description, unit, price and VAT flag, and see each line's amount and the document's
   totals as you type. The figures are worked out the way the server prices a document (services/pricing.py):
   in whole Rials with integers (BigInt), each rounded half up, totals the sums of the rounded lines; never in
   floating point. Without this script the rows still post as a plain Django formset. */
(function () {
  "use strict";

  var DIGITS = { "۰": "0", "۱": "1", "۲": "2", "۳": "3", "۴": "4", "۵": "5", "۶": "6", "۷": "7", "۸": "8", "۹": "9",
    "٠": "0", "١": "1", "٢": "2", "٣": "3", "٤": "4", "٥": "5", "٦": "6", "٧": "7", "٨": "8", "٩": "9" };

  function asciiDigits(text) {
    return String(text || "").replace(/[۰-۹٠-٩]/g, function (d) { return DIGITS[d]; });
  }

  /* A typed decimal as a BigInt of its `places`-th parts ("1.5", 3 → 1500n), or null when it is not a number
     with at most that many decimals. */
  function scaled(text, places) {
    var clean = asciiDigits(text).trim().replace(/[٫/]/g, ".").replace(/[,٬،\s]/g, "");
    if (!clean) return null;
    var match = /^(\d*)(?:\.(\d*))?$/.exec(clean);
    if (!match || (match[1] === "" && !match[2])) return null;
    var fraction = match[2] || "";
    if (fraction.length > places) {
      if (/[^0]/.test(fraction.slice(places))) return null;
      fraction = fraction.slice(0, places);
    }
    while (fraction.length < places) fraction += "0";
    return BigInt((match[1] || "0") + fraction);
  }

  /* a / b rounded half up, for a ≥ 0 and b > 0: Python's ROUND_HALF_UP on the same numbers. */
  function roundDiv(a, b) {
    return (a * 2n + b) / (2n * b);
  }

  function init(editor) {
    var prefix = editor.getAttribute("data-prefix");
    var rowsBox = editor.querySelector("[data-line-rows]");
    var template = editor.querySelector("template[data-line-template]");
    var total = editor.querySelector('input[name="' + prefix + '-TOTAL_FORMS"]');
    var rateBp = BigInt(editor.getAttribute("data-vat-rate-bp") || "0");
    var perUnit = BigInt(editor.getAttribute("data-rials-per-unit") || "1");
    var lang = editor.getAttribute("data-lang") || document.documentElement.lang || "fa";
    var locale = lang.indexOf("fa") === 0 ? "fa-IR" : "en-US";
    var productsTag = document.getElementById(prefix + "-products");
    var products = {};
    (productsTag ? JSON.parse(productsTag.textContent) : []).forEach(function (p) { products[String(p.id)] = p; });

    function show(rial) {
      // Shown in the site's unit, as format_money does: whole units, toward zero.
      return (rial / perUnit).toLocaleString(locale);
    }

    function field(row, name) {
      return row.querySelector('[name$="-' + name + '"]');
    }

    function rows() {
      return Array.prototype.slice.call(rowsBox.querySelectorAll("[data-line-row]"));
    }

    function renumber() {
      rows().forEach(function (row, index) {
        row.querySelector("[data-line-number]").textContent = (index + 1).toLocaleString(locale);
        row.querySelectorAll("[name], [id], label[for]").forEach(function (el) {
          ["name", "id", "for"].forEach(function (attr) {
            var value = el.getAttribute(attr);
            if (value) el.setAttribute(attr, value.replace(new RegExp("^(id_)?" + prefix + "-(\\d+|__prefix__)-"), "$1" + prefix + "-" + index + "-"));
          });
        });
      });
      total.value = String(rows().length);
    }

    function priceOf(row) {
      var qty = scaled(field(row, "quantity").value || "1", 3);
      var priceText = asciiDigits(field(row, "unit_price").value).replace(/[,٬،\s]/g, "");
      var discount = scaled(field(row, "discount_percent").value || "0", 2);
      if (qty === null || discount === null || !/^\d+$/.test(priceText) || discount > 10000n) return null;
      var gross = roundDiv(qty * BigInt(priceText) * perUnit, 1000n);
      var off = roundDiv(gross * discount, 10000n);
      var net = gross - off;
      var vat = field(row, "vat_applies").checked ? roundDiv(net * rateBp, 10000n) : 0n;
      return { gross: gross, discount: off, net: net, vat: vat };
    }

    function recalc() {
      var sums = { gross: 0n, discount: 0n, net: 0n, vat: 0n };
      var complete = true;
      rows().forEach(function (row) {
        var cell = row.querySelector("[data-line-amount]");
        var blank = !field(row, "product").value && !field(row, "description").value.trim() && !field(row, "unit_price").value.trim();
        var line = blank ? null : priceOf(row);
        if (line === null) {
          cell.textContent = "—";
          if (!blank) complete = false;
          return;
        }
        cell.textContent = show(line.net);
        Object.keys(sums).forEach(function (key) { sums[key] += line[key]; });
      });
      Object.keys(sums).forEach(function (key) {
        editor.querySelector('[data-total="' + key + '"]').textContent = complete ? show(sums[key]) : "—";
      });
      editor.querySelector('[data-total="total"]').textContent = complete ? show(sums.net + sums.vat) : "—";
      var rate = editor.querySelector("[data-vat-rate]");
      if (rate) {
        var percent = Number(rateBp) / 100;
        rate.textContent = "(" + percent.toLocaleString(locale) + (locale === "fa-IR" ? "٪" : "%") + ")";
      }
    }

    function pick(row) {
      var product = products[field(row, "product").value];
      if (!product) return;
      var description = field(row, "description");
      // Replace the description only if it was empty or still the previous product's name.
      if (!description.value.trim() || description.getAttribute("data-from-product") === description.value) {
        description.value = product.name;
        description.setAttribute("data-from-product", product.name);
      }
      field(row, "unit").value = product.unit || "";
      field(row, "unit_price").value = Number(product.price).toLocaleString("en-US");
      field(row, "vat_applies").checked = !!product.vat;
      if (!field(row, "quantity").value.trim()) field(row, "quantity").value = "1";
    }

    editor.querySelector("[data-line-add]").addEventListener("click", function () {
      var index = rows().length;
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      var holder = document.createElement("tbody");
      holder.innerHTML = html;
      var row = holder.querySelector("[data-line-row]");
      field(row, "quantity").value = "1";
      field(row, "vat_applies").checked = true;
      rowsBox.appendChild(row);
      renumber();
      recalc();
      field(row, "product").focus();
    });

    rowsBox.addEventListener("click", function (event) {
      var button = event.target.closest("[data-line-remove]");
      if (!button) return;
      var row = button.closest("[data-line-row]");
      if (rows().length === 1) {
        // The last row is emptied rather than removed: a document keeps a row to type in.
        row.querySelectorAll("input[type=text], input:not([type]), select").forEach(function (el) { el.value = ""; });
        field(row, "quantity").value = "1";
      } else {
        row.remove();
      }
      renumber();
      recalc();
    });

    rowsBox.addEventListener("change", function (event) {
      var row = event.target.closest("[data-line-row]");
      if (row && event.target === field(row, "product")) pick(row);
      recalc();
    });
    rowsBox.addEventListener("input", recalc);
    renumber();
    recalc();
  }

  function start() {
    document.querySelectorAll("[data-line-editor]").forEach(init);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
