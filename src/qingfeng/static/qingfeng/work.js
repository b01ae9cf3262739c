// The proof of work of a public form (core/partials/work_check.html): solved in a Web Worker
// as soon as the page opens, while the person writes. A submit before it is done waits for it
// and then goes on by itself; the button says why it waits.
(function () {
  "use strict";
  function start(box) {
    var form = box.closest("form");
    var input = box.querySelector("input[name=work_solution]");
    var status = box.querySelector("[data-qf-work-status]");
    var challenge = JSON.parse(box.getAttribute("data-challenge"));
    var done = false, waiting = false;
    function say(text) { if (status) status.textContent = text; }
    function finish(number) {
      var solution = {
        algorithm: challenge.algorithm, challenge: challenge.challenge, salt: challenge.salt,
        signature: challenge.signature, number: number
      };
      input.value = btoa(JSON.stringify(solution));
      done = true;
      box.setAttribute("data-qf-work", "done");
      say(box.getAttribute("data-done"));
      if (waiting) form.submit();
    }
    var worker;
    try {
      worker = new Worker(box.getAttribute("data-worker"));
    } catch (err) {
      say(box.getAttribute("data-unsupported"));
      return;
    }
    worker.onmessage = function (event) {
      if (event.data.number >= 0) finish(event.data.number);
      else say(box.getAttribute("data-unsupported"));
    };
    worker.onerror = function () { say(box.getAttribute("data-unsupported")); };
    worker.postMessage(challenge);
    form.addEventListener("submit", function (event) {
      if (done) return;
      event.preventDefault();
      if (waiting) return;
      waiting = true;
      say(box.getAttribute("data-waiting"));
      var buttons = form.querySelectorAll("button[type=submit]");
      for (var i = 0; i < buttons.length; i++) {
        buttons[i].disabled = true;
        buttons[i].textContent = box.getAttribute("data-waiting");
      }
    });
  }
  function init() {
    var boxes = document.querySelectorAll("[data-qf-work=pending]");
    for (var i = 0; i < boxes.length; i++) start(boxes[i]);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
