// Live role filter and copy buttons. The page works without this script:
// the filter box also submits ?q= to the server.
(function () {
  "use strict";
  var box = document.getElementById("role-filter");
  if (box) {
    box.addEventListener("input", function () {
      var q = box.value.trim().toLowerCase();
      var shown = 0;
      document.querySelectorAll("li.role").forEach(function (li) {
        var hit = li.dataset.search.toLowerCase().indexOf(q) !== -1;
        li.hidden = !hit;
        if (hit) { shown += 1; }
      });
      document.querySelectorAll("[data-account]").forEach(function (section) {
        section.hidden = section.querySelectorAll("li.role:not([hidden])").length === 0;
      });
      document.getElementById("no-match").hidden = shown !== 0;
    });
  }
  document.querySelectorAll("button.copy").forEach(function (button) {
    button.addEventListener("click", function () {
      var text = document.getElementById(button.dataset.copy).textContent;
      navigator.clipboard.writeText(text).then(function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy"; }, 1500);
      });
    });
  });
})();
