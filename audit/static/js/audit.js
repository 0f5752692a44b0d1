/* The auditor's forms: a Buddhist Era calendar beside each date box, and a search box over
   long lists of people and items. Without JavaScript the boxes still take typed dates. */
(function () {
  "use strict";
  var thai = (document.documentElement.lang || "th").indexOf("th") === 0;
  var MONTHS = thai
    ? ["ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค."]
    : ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var DAYS = thai ? ["อา", "จ", "อ", "พ", "พฤ", "ศ", "ส"] : ["Su", "Mo", "Tu", "We", "Th", "Fr", "Sa"];
  var DIGITS = "๐๑๒๓๔๕๖๗๘๙";
  function arabic(s) { return s.replace(/[๐-๙]/g, function (d) { return DIGITS.indexOf(d); }); }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function digits(n) { return thai ? String(n).replace(/[0-9]/g, function (d) { return DIGITS[d]; }) : String(n); }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function picker(input) {
    var withTime = input.getAttribute("data-be-date") === "datetime";
    var button = el("button", { type: "button", "class": "secondary calendar-button",
      title: thai ? "เลือกวันที่จากปฏิทิน" : "Pick a date" }, thai ? "ปฏิทิน" : "Calendar");
    var panel = el("div", { "class": "be-calendar", hidden: "" });
    input.insertAdjacentElement("afterend", button);
    button.insertAdjacentElement("afterend", panel);
    var shown = new Date();
    function current() {
      var m = arabic(input.value).match(/(\d{1,2})\/(\d{1,2})\/(\d{4})/);
      return m ? new Date(+m[3] - 543, +m[2] - 1, +m[1]) : new Date();
    }
    function draw() {
      panel.innerHTML = "";
      var head = el("div", { "class": "be-calendar-head" });
      var month = el("select", { "aria-label": thai ? "เดือน" : "Month" });
      MONTHS.forEach(function (name, i) {
        var o = el("option", { value: i }, name); if (i === shown.getMonth()) o.selected = true; month.appendChild(o);
      });
      var year = el("select", { "aria-label": thai ? "ปี พ.ศ." : "Year (BE)" });
      var now = new Date().getFullYear();
      for (var y = now + 1; y >= now - 15; y--) {
        var o = el("option", { value: y }, (thai ? "พ.ศ. " : "BE ") + digits(y + 543)); if (y === shown.getFullYear()) o.selected = true; year.appendChild(o);
      }
      month.onchange = year.onchange = function () { shown = new Date(+year.value, +month.value, 1); draw(); };
      head.appendChild(month); head.appendChild(year); panel.appendChild(head);
      var grid = el("div", { "class": "be-calendar-grid", role: "grid" });
      DAYS.forEach(function (d) { grid.appendChild(el("span", { "class": "dow" }, d)); });
      var first = new Date(shown.getFullYear(), shown.getMonth(), 1);
      for (var i = 0; i < first.getDay(); i++) grid.appendChild(el("span"));
      var last = new Date(shown.getFullYear(), shown.getMonth() + 1, 0).getDate();
      for (var d = 1; d <= last; d++) {
        var b = el("button", { type: "button", "data-day": d }, digits(d));
        b.onclick = function (ev) {
          var day = +ev.target.getAttribute("data-day");
          var text = pad(day) + "/" + pad(shown.getMonth() + 1) + "/" + (shown.getFullYear() + 543);
          if (withTime) text += " " + (panel.querySelector("input[type=time]").value || "23:59");
          input.value = text; panel.hidden = true; input.focus();
        };
        grid.appendChild(b);
      }
      panel.appendChild(grid);
      if (withTime) {
        var time = el("input", { type: "time", "aria-label": thai ? "เวลา" : "Time", value: "23:59" });
        var t = input.value.match(/(\d{1,2}):(\d{2})/); if (t) time.value = pad(+t[1]) + ":" + t[2];
        var label = el("label", {}, (thai ? "เวลา " : "Time ")); label.appendChild(time); panel.appendChild(label);
      }
    }
    button.onclick = function () {
      if (panel.hidden) { shown = current(); if (isNaN(shown)) shown = new Date(); draw(); panel.hidden = false; }
      else panel.hidden = true;
    };
    document.addEventListener("keydown", function (ev) { if (ev.key === "Escape") panel.hidden = true; });
  }

  function searchable(select) {
    if (select.options.length < 8) return;
    var box = el("input", { type: "search", "class": "select-search",
      placeholder: thai ? "พิมพ์เพื่อค้นหา…" : "Type to search…", "aria-label": thai ? "ค้นหาในรายการ" : "Search the list" });
    select.insertAdjacentElement("beforebegin", box);
    box.oninput = function () {
      var q = box.value.trim().toLowerCase(), firstMatch = null;
      Array.prototype.forEach.call(select.options, function (o) {
        var hit = !o.value || o.text.toLowerCase().indexOf(q) !== -1;
        o.hidden = !hit; if (hit && o.value && !firstMatch) firstMatch = o;
      });
      if (q && firstMatch) select.value = firstMatch.value;
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-be-date]").forEach(picker);
    document.querySelectorAll("select[data-searchable]").forEach(searchable);
  });
})();
