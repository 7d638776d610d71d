// Small enhancements on top of htmx. Everything works without this file.
(function () {
  "use strict";

  function toast(message) {
    var box = document.getElementById("toast");
    if (!box) return;
    box.textContent = message;
    box.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { box.hidden = true; }, 8000);
  }

  function messageFrom(xhr) {
    // The server sends a short alert fragment; read its text without running anything in it.
    var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
    var text = (doc.body && doc.body.textContent || "").trim().replace(/\s+/g, " ");
    return text || "Something went wrong (" + xhr.status + ").";
  }

  document.addEventListener("htmx:responseError", function (event) {
    toast(messageFrom(event.detail.xhr) + " Your text is still in the form.");
  });

  document.addEventListener("htmx:sendError", function () {
    toast("Could not reach the server. Your text is still in the form; try again.");
  });

  // A quick entry was saved: empty the form for the next one. The answer carries the next
  // idempotency key (or, after errors, a whole blank form that replaces this one).
  document.addEventListener("entry-created", function (event) {
    var form = event.target.closest && event.target.closest("#quick-entry");
    if (form) form.reset();
  });

  // After a quick entry is saved, keep the keyboard in the title box for the next one.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.target && event.detail.target.id === "feed-list") {
      var title = document.querySelector("#quick-entry input[name=title]");
      if (title && document.activeElement !== title && event.detail.requestConfig &&
          event.detail.requestConfig.verb === "post") {
        title.focus();
      }
    }
  });

  // Save, Cancel and Undo replace the entry body, and "Load more" replaces itself, together
  // with the control that had focus. Keep the keyboard where the reader was, not at the page
  // start: on the first entry just loaded, or on the new entry body's heading.
  var firstLoaded = -1;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var loadMore = event.detail.elt.closest && event.detail.elt.closest("#load-more");
    firstLoaded = loadMore ? document.querySelectorAll("#feed-list .entry-card").length : -1;
  });

  document.addEventListener("htmx:afterSettle", function () {
    var active = document.activeElement;
    if (active && active !== document.body) return;
    var card = firstLoaded >= 0 && document.querySelectorAll("#feed-list .entry-card")[firstLoaded];
    var next = card ? card.querySelector("h3 a") : document.querySelector("#entry-body h1");
    if (!next) return;
    if (!card) next.setAttribute("tabindex", "-1");
    next.focus();
  });

  document.addEventListener("keydown", function (event) {
    var toastBox = document.getElementById("toast");
    if (event.key === "Escape" && toastBox && !toastBox.hidden) toastBox.hidden = true;
  });
})();
