// The list filters: search as you type, one request per pause (350 ms), none twice.
// Typing, Enter and a changed select all ask htmx for the rows through one event,
// and only when the filters differ from the last ones sent.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form.filters").forEach(function (form) {
    var timer = null;
    var state = function () { return new URLSearchParams(new FormData(form)).toString(); };
    var last = state();
    var send = function () {
      clearTimeout(timer);
      var now = state();
      if (now === last) { return; }
      last = now;
      htmx.trigger(form, "filters-changed");
    };
    form.addEventListener("input", function (event) {
      if (event.target.name === "q") { clearTimeout(timer); timer = setTimeout(send, 350); }
    });
    form.addEventListener("change", function (event) {
      if (event.target.tagName === "SELECT") { send(); }
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); send(); });
  });
});
