// Live length of an SMS: characters and segments, as guanxi.activities.sending.sms_length counts.
(function () {
  "use strict";
  var GSM7 = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var EXTENSION = "^{}\\[~]|€\f";

  function smsLength(text) {
    var chars = Array.from(text || "");
    var gsm = chars.every(function (c) { return GSM7.indexOf(c) >= 0 || EXTENSION.indexOf(c) >= 0; });
    var units = 0, single, part;
    chars.forEach(function (c) {
      if (gsm) { units += EXTENSION.indexOf(c) >= 0 ? 2 : 1; }
      else { units += c.codePointAt(0) > 0xFFFF ? 2 : 1; }
    });
    if (gsm) { single = 160; part = 153; } else { single = 70; part = 67; }
    var segments = units === 0 ? 0 : (units <= single ? 1 : Math.ceil(units / part));
    return { chars: units, segments: segments, encoding: gsm ? "GSM-7" : "UCS-2" };
  }

  function update(textarea) {
    var target = document.getElementById(textarea.dataset.smsCounter);
    if (!target) { return; }
    var length = smsLength(textarea.value);
    target.textContent = target.dataset.label
      .replace("%(chars)s", length.chars)
      .replace("%(segments)s", length.segments)
      .replace("%(encoding)s", length.encoding);
    target.dataset.segments = length.segments;
  }

  function updateAll() {
    document.querySelectorAll("[data-sms-counter]").forEach(update);
  }

  document.addEventListener("input", function (event) {
    if (event.target.dataset && event.target.dataset.smsCounter) { update(event.target); }
  });
  document.addEventListener("htmx:afterSwap", updateAll);
  document.addEventListener("DOMContentLoaded", updateAll);
})();
