// AuthGate's own script (no inline scripts: the CSP forbids them).
// Formats user-code fields as XXXX-XXXX while typing or pasting, keeping the
// caret where the person expects it. The server accepts any case, spacing
// and punctuation anyway, so this is comfort, not validation.
(function () {
  "use strict";

  function letters(value) {
    return value.toUpperCase().replace(/[^A-Z0-9]/g, "");
  }

  function format(value) {
    var chars = letters(value).slice(0, 8);
    return chars.length > 4 ? chars.slice(0, 4) + "-" + chars.slice(4) : chars;
  }

  function isCodeField(el) {
    return el && el.matches && el.matches("input[data-user-code]");
  }

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!isCodeField(input)) return;
    var caret = input.selectionStart === null ? input.value.length : input.selectionStart;
    var before = Math.min(letters(input.value.slice(0, caret)).length, 8);
    var formatted = format(input.value);
    if (formatted === input.value) return;
    input.value = formatted;
    var position = before > 4 ? before + 1 : before;
    try {
      input.setSelectionRange(position, position);
    } catch (e) {
      /* some input types do not support selection; nothing to restore */
    }
  });

  function formatAll(root) {
    var fields = root.querySelectorAll ? root.querySelectorAll("input[data-user-code]") : [];
    Array.prototype.forEach.call(fields, function (input) {
      input.value = format(input.value);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    formatAll(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    formatAll(event.target);
  });
})();

// Live admin tables (hx-trigger="every 5s", data-pause-on-focus) skip a
// refresh while keyboard focus is inside them, so a person tabbing to a
// button is not thrown back to the top of the page by the swap.
(function () {
  "use strict";

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (!elt || !elt.hasAttribute || !elt.hasAttribute("data-pause-on-focus")) return;
    if (event.detail.requestConfig && event.detail.requestConfig.verb !== "get") return;
    var active = document.activeElement;
    if (active && active !== document.body && elt.contains(active)) {
      event.preventDefault();
    }
  });
})();
