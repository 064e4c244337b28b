// Composer: show the tier and price fields only for the access rules that use them.
(function () {
  "use strict";
  var select = document.getElementById("access");
  if (!select) { return; }
  function update() {
    document.querySelectorAll("[data-show-for]").forEach(function (element) {
      var rules = element.getAttribute("data-show-for").split(" ");
      element.hidden = rules.indexOf(select.value) === -1;
    });
  }
  select.addEventListener("change", update);
  update();
})();
