// The 权重 warning of the target editor. Once one indicator has a 权重, review asks for one on
// every indicator, adding up to 90; typing a 权重 while others have none (or leaving it empty
// while others have one) would silently make the project fail review, so the warning below
// the 权重 input says what saving would leave. The server renders it for the project as saved
// (budgets/templatetags/target_weights.py); this script redoes it as the user types.
(function () {
  "use strict";

  var PARTIAL =
    "已为部分指标填写权重：每个指标都要填写权重，且合计为{total}（保存后：已填{filled}个，未填{missing}个）";
  var OFF_TOTAL = "保存后权重合计为{sum}，应为{total}（另10分属于预算执行率）";
  var PLACES = 3; // Indicator.weight keeps 3 decimals

  // A 权重 as an exact count of thousandths (no floating-point sums); null when it is not a
  // plain positive number (the server refuses it with its own message).
  function thousandths(text) {
    var match = /^\s*(\d+)(?:\.(\d*))?\s*$/.exec(String(text).replace(/[,，]/g, ""));
    if (!match) return null;
    var fraction = (match[2] || "").slice(0, PLACES);
    while (fraction.length < PLACES) fraction += "0";
    return parseInt(match[1], 10) * 1000 + parseInt(fraction, 10);
  }

  function shown(count) {
    var whole = Math.floor(count / 1000);
    var fraction = String(count % 1000);
    while (fraction.length < PLACES) fraction = "0" + fraction;
    fraction = fraction.replace(/0+$/, "");
    return fraction ? whole + "." + fraction : String(whole);
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, name) {
      return values[name];
    });
  }

  function update(warning, input) {
    var typed = input.value.trim();
    var filled = parseInt(warning.dataset.othersFilled, 10) + (typed ? 1 : 0);
    var missing = parseInt(warning.dataset.othersMissing, 10) + (typed ? 0 : 1);
    var total = thousandths(warning.dataset.total);
    var sum = thousandths(warning.dataset.othersSum);
    var own = typed ? thousandths(typed) : 0;
    var message = "";
    if (filled > 0 && missing > 0) {
      message = fill(PARTIAL, { total: shown(total), filled: filled, missing: missing });
    } else if (filled > 0 && own !== null && sum !== null && sum + own !== total) {
      message = fill(OFF_TOTAL, { sum: shown(sum + own), total: shown(total) });
    }
    warning.textContent = message;
    warning.hidden = !message;
  }

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.id) return;
    var warning = document.querySelector('[data-weight-input="' + input.id + '"]');
    if (warning) update(warning, input);
  });
})();
