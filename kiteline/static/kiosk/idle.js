// A kiosk is shared: after the page's idle time with no input, sign the resident out,
// or bring a sign-in page that someone used (or that shows a result) back to a clean
// one. The server ends the session on its own as well; this clears the screen.
(function () {
  "use strict";
  var body = document.body;
  var seconds = Number(body.dataset.idleSeconds);
  if (!(seconds > 0)) {
    return;
  }
  var used = false;
  var timer = 0;

  function idle() {
    var signOut = document.querySelector("form[data-idle-sign-out]");
    if (signOut) {
      signOut.submit();
    } else if (used || !body.hasAttribute("data-clean")) {
      window.location.replace(body.dataset.idleUrl);
    }
  }

  function restart() {
    window.clearTimeout(timer);
    timer = window.setTimeout(idle, seconds * 1000);
  }

  ["pointerdown", "keydown", "input", "wheel", "touchstart"].forEach(function (type) {
    document.addEventListener(
      type,
      function () {
        used = true;
        restart();
      },
      { capture: true, passive: true }
    );
  });
  restart();
})();
