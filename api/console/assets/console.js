// svodka console: keyboard shortcuts on the queue. Every action is a plain form without this.
// j/k move, v verifies, r goes to the reject reason, d marks a duplicate of the top suggestion,
// o opens the report. Every 30 s it asks how many reports the filters give, and offers a reload
// when that changed (never reloading by itself: a moderator may be typing a reason).
(function () {
  "use strict";
  var found = document.getElementById("found");
  var fresh = document.getElementById("fresh");
  if (found && fresh && window.fetch) {
    setInterval(function () {
      fetch(found.getAttribute("data-poll"), { credentials: "same-origin", cache: "no-store" })
        .then(function (answer) { return answer.ok ? answer.json() : null; })
        .then(function (body) {
          if (body && String(body.total) !== found.getAttribute("data-total")) fresh.hidden = false;
        })
        .catch(function () {});
    }, 30000);
  }
}());

(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll(".queue .row"));
  if (!rows.length) return;
  var current = 0;

  function select(i) {
    if (i < 0 || i >= rows.length) return;
    rows[current].classList.remove("current");
    current = i;
    rows[current].classList.add("current");
    rows[current].scrollIntoView({ block: "nearest" });
  }

  function press(selector) {
    var button = rows[current].querySelector(selector);
    if (button) button.click();
  }

  select(0);
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT")) {
      if (event.key === "Escape") target.blur();
      return;
    }
    switch (event.key) {
      case "j": select(current + 1); break;
      case "k": select(current - 1); break;
      case "v": press("[data-key=v]"); break;
      case "d": press("[data-key=d]"); break;
      case "o": press("[data-key=o]"); break;
      case "r":
        var reason = rows[current].querySelector("[data-key=r]");
        if (reason) reason.focus();
        break;
      default: return;
    }
    event.preventDefault();
  });
})();
