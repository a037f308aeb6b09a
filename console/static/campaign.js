// The campaign form shows the help of the chosen channel only. Without
// script every channel's help stays visible, and every field works.
(function () {
  var sel = document.getElementById("f-channel");
  var help = document.getElementById("channel-help");
  if (!sel || !help) return;
  function show() {
    var items = help.querySelectorAll("li[data-channel]");
    for (var i = 0; i < items.length; i++) {
      items[i].hidden = items[i].getAttribute("data-channel") !== sel.value;
    }
  }
  sel.addEventListener("change", show);
  show();
})();
