// The header search box: a combobox whose listbox htmx fills with suggestions while typing
// (hx-get on the input). This file adds opening/closing and arrow-key navigation; no inline script.
(function () {
  "use strict";

  function setup(input) {
    var listbox = document.getElementById(input.getAttribute("aria-controls"));
    if (!listbox) return;
    var active = -1;

    function options() {
      return Array.prototype.slice.call(listbox.querySelectorAll('[role="option"]'));
    }

    function setActive(index) {
      var items = options();
      active = index;
      items.forEach(function (item, position) {
        item.setAttribute("aria-selected", position === index ? "true" : "false");
        item.classList.toggle("is-active", position === index);
      });
      if (index >= 0 && items[index]) {
        input.setAttribute("aria-activedescendant", items[index].id);
        items[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function show(open) {
      listbox.hidden = !open;
      input.setAttribute("aria-expanded", open ? "true" : "false");
      if (!open) setActive(-1);
    }

    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.target !== listbox) return;
      active = -1;
      show(options().length > 0 && input.value.trim() !== "" && document.activeElement === input);
    });

    input.addEventListener("input", function () {
      if (!input.value.trim()) {
        listbox.innerHTML = "";
        show(false);
      }
    });

    input.addEventListener("keydown", function (event) {
      var items = options();
      if (event.key === "ArrowDown" && items.length) {
        event.preventDefault();
        show(true);
        setActive((active + 1) % items.length);
      } else if (event.key === "ArrowUp" && items.length) {
        event.preventDefault();
        show(true);
        setActive(active <= 0 ? items.length - 1 : active - 1);
      } else if (event.key === "Enter" && active >= 0 && items[active]) {
        event.preventDefault();
        window.location.assign(items[active].getAttribute("data-href"));
      } else if (event.key === "Escape") {
        show(false);
      }
    });

    input.addEventListener("focus", function () {
      if (options().length && input.value.trim()) show(true);
    });
    input.addEventListener("blur", function () {
      show(false);
    });
    // Keep the focus in the input while an option is clicked (its link then navigates).
    listbox.addEventListener("mousedown", function (event) {
      event.preventDefault();
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-search-combobox]"), setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
