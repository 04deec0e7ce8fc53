// The portal's one script, loaded on every page; each part acts only where its markup is.
// Every page works without it: the filter also submits ?q= to the server, times are
// printed in UTC, and the copy buttons are the only thing that needs it.
(function () {
  "use strict";

  // --- Role filter: live narrowing, "/" to focus, Enter opens the first match's console.
  var box = document.getElementById("role-filter");
  function visibleRoles() {
    return Array.prototype.filter.call(document.querySelectorAll("[data-account] li.role"), function (li) {
      return !li.hidden;
    });
  }
  function applyFilter() {
    var q = box.value.trim().toLowerCase();
    var shortcuts = document.querySelector(".shortcuts");
    if (shortcuts) { shortcuts.hidden = q !== ""; }
    document.querySelectorAll("[data-account] li.role").forEach(function (li) {
      li.hidden = li.dataset.search.toLowerCase().indexOf(q) === -1;
    });
    document.querySelectorAll("[data-account]").forEach(function (section) {
      section.hidden = section.querySelectorAll("li.role:not([hidden])").length === 0;
      if (q !== "" && !section.hidden) { section.open = true; }
    });
    var none = document.getElementById("no-match");
    if (none) { none.hidden = visibleRoles().length !== 0; }
  }
  if (box) {
    box.addEventListener("input", applyFilter);
    box.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") { return; }
      var first = visibleRoles()[0];
      if (!first) { return; }
      event.preventDefault();
      first.querySelector("button[data-console]").click();
    });
    document.addEventListener("keydown", function (event) {
      var target = event.target;
      var typing = target.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName);
      if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
        event.preventDefault();
        box.focus();
        box.select();
      }
    });
  }

  // --- Copy buttons: one per value and one per block.
  var status = document.getElementById("copy-status");
  document.querySelectorAll("button.copy").forEach(function (button) {
    var label = button.firstChild;
    button.addEventListener("click", function () {
      var text = document.getElementById(button.dataset.copy).textContent;
      navigator.clipboard.writeText(text).then(function () {
        label.nodeValue = "Copied";
        if (status) { status.textContent = "Copied to the clipboard."; }
        setTimeout(function () { label.nodeValue = "Copy"; }, 1500);
      }, function () {
        if (status) { status.textContent = "Copying was refused by the browser: select the text instead."; }
      });
    });
  });

  // --- Times: expiry in the reader's own time zone, and a countdown to it.
  document.querySelectorAll("time[data-local]").forEach(function (el) {
    var when = new Date(el.getAttribute("datetime"));
    if (!isNaN(when)) {
      el.textContent = when.toLocaleString(undefined, {
        year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
        timeZoneName: "short"
      });
    }
  });
  function left(ms) {
    var minutes = Math.floor(ms / 60000);
    var hours = Math.floor(minutes / 60);
    if (hours > 0) { return hours + " h " + (minutes % 60) + " min left"; }
    if (minutes > 0) { return minutes + " min left"; }
    return Math.max(0, Math.floor(ms / 1000)) + " s left";
  }
  var counters = document.querySelectorAll("[data-expires]");
  function tick() {
    var now = Date.now();
    counters.forEach(function (el) {
      var ms = new Date(el.dataset.expires).getTime() - now;
      el.textContent = ms > 0 ? left(ms) : "expired: get a new set";
      el.classList.toggle("expired", ms <= 0);
    });
  }
  if (counters.length) { tick(); setInterval(tick, 1000); }
})();
