// svodka dashboard: progressive enhancement only. Everything it does also works without it:
// the figures are in the HTML, sorting links sort on the server, forms submit normally.
(function () {
  "use strict";
  var REFRESH_MS = 30000;
  var main = document.getElementById("main");
  if (!main) return;
  var lang = document.documentElement.lang || "ru";

  // -- sorting the region and city tables in place --------------------------------------------
  // Text columns hold their sort text in data-value, figures their number; rows carry data-key.
  function cellValue(row, index, numeric) {
    var cell = row.children[index];
    var raw = cell ? cell.getAttribute("data-value") : "";
    return numeric ? Number(raw || 0) : raw || "";
  }

  function sortTable(link) {
    var th = link.closest("th");
    var table = th.closest("table");
    var heads = Array.prototype.slice.call(th.parentNode.children);
    var index = heads.indexOf(th);
    var numeric = th.getAttribute("data-natural") === "desc";
    var order = link.getAttribute("data-order");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows).filter(function (r) { return r.hasAttribute("data-key"); });
    rows.sort(function (a, b) {
      var x = cellValue(a, index, numeric), y = cellValue(b, index, numeric);
      var c = numeric ? x - y : String(x).localeCompare(String(y), lang);
      if (c === 0) c = a.getAttribute("data-key").localeCompare(b.getAttribute("data-key"));
      return order === "asc" ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    // The server renders this order too, so a reload or a shared link keeps it.
    history.replaceState(null, "", link.href);
    var orderParam = new URL(link.href).searchParams.has("corder") ? "corder" : "order";
    heads.forEach(function (h) {
      var a = h.querySelector("a[data-order]");
      if (!a) return;
      var next = h === th ? (order === "asc" ? "desc" : "asc") : h.getAttribute("data-natural");
      if (h === th) h.setAttribute("aria-sort", order === "asc" ? "ascending" : "descending");
      else h.removeAttribute("aria-sort");
      var url = new URL(a.href);
      url.searchParams.set(orderParam, next);
      a.href = url.href;
      a.setAttribute("data-order", next);
    });
  }

  main.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("th[data-sort] a[data-order]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    sortTable(link);
  });

  // -- the as-of form: leave empty fields out of the address ----------------------------------
  var form = document.querySelector("#controls form");
  if (form) {
    form.addEventListener("submit", function () {
      Array.prototype.forEach.call(form.elements, function (el) {
        if (el.name && el.value === "") el.disabled = true;
      });
      // Re-enable after the navigation has been queued, in case it is cancelled (bfcache).
      setTimeout(function () {
        Array.prototype.forEach.call(form.elements, function (el) { el.disabled = false; });
      }, 0);
    });
  }

  // -- live refresh ---------------------------------------------------------------------------
  // Asks /v1/stats with If-None-Match every 30 s; an unchanged model costs the server a 304.
  // Only when the event-log position moved does it fetch this page again and swap the figures,
  // leaving the form and focus alone.
  var statsUrl = main.getAttribute("data-stats-url");
  if (main.getAttribute("data-live") !== "1" || !statsUrl || !window.fetch) return;
  var etag = null;
  var position = main.getAttribute("data-position");

  function swapFigures() {
    return fetch(location.href, { cache: "no-cache", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var freshMain = fresh.getElementById("main");
        if (!freshMain) return;
        Array.prototype.forEach.call(document.querySelectorAll("section.live"), function (old) {
          var next = fresh.getElementById(old.id);
          if (next) old.replaceWith(document.importNode(next, true));
        });
        position = freshMain.getAttribute("data-position");
        main.setAttribute("data-position", position);
        var status = document.getElementById("live-status");
        if (status) status.textContent = main.getAttribute("data-updated") || "";
      });
  }

  function poll() {
    if (document.hidden) return;
    var headers = etag ? { "If-None-Match": etag } : {};
    fetch(statsUrl, { headers: headers })
      .then(function (r) {
        if (r.status === 304 || !r.ok) return null;
        etag = r.headers.get("ETag") || etag;
        return r.json();
      })
      .then(function (body) {
        if (!body || !body.as_of) return null;
        if (String(body.as_of.position) !== String(position)) return swapFigures();
        return null;
      })
      .catch(function () { /* offline or blocked: try again next time */ });
  }

  setInterval(poll, REFRESH_MS);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) poll(); });
})();
