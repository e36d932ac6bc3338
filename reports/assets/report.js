//<![CDATA[
// hookbench report: verdict filter and expand/collapse. Everything else is static.
(function () {
  "use strict";
  var bar = document.getElementById("checks-bar");
  if (!bar) { return; }
  var checks = document.querySelectorAll("details.check");
  function filter(mode) {
    var buttons = bar.querySelectorAll("button[data-filter]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].setAttribute("aria-pressed", buttons[i].getAttribute("data-filter") === mode ? "true" : "false");
    }
    for (var j = 0; j < checks.length; j++) {
      var v = checks[j].getAttribute("data-verdict");
      var show = mode === "all" || (mode === "problems" && (v === "FAIL" || v === "WARN"));
      checks[j].classList.toggle("hidden", !show);
    }
  }
  function expand(open) {
    for (var i = 0; i < checks.length; i++) {
      if (!checks[i].classList.contains("hidden")) { checks[i].open = open; }
    }
  }
  bar.addEventListener("click", function (e) {
    var b = e.target.closest("button");
    if (!b) { return; }
    if (b.hasAttribute("data-filter")) { filter(b.getAttribute("data-filter")); }
    if (b.hasAttribute("data-expand")) { expand(b.getAttribute("data-expand") === "open"); }
  });
  filter(bar.getAttribute("data-default") || "all");
})();
//]]>
