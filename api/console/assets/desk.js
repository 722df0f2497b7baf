// svodka console, operator's desk: shows the chosen city's region and time zone beside the form
// while typing, so the local time is typed in the right zone. The form works the same without it:
// the suggestions list the zones, and the receipt says which zone the time was read in.
(function () {
  "use strict";
  var city = document.getElementById("city");
  var zone = document.getElementById("zone");
  var list = document.getElementById("cities");
  if (!city || !zone || !list) return;
  var hints = {};
  Array.prototype.forEach.call(list.options, function (option) {
    hints[option.value.toLowerCase()] = option.label;
  });
  function show() {
    var hint = hints[city.value.trim().toLowerCase()];
    zone.textContent = hint || "";
    zone.hidden = !hint;
  }
  city.addEventListener("input", show);
  show();
}());
