// Renders every chart on the page from its Vega-Lite specification (built by altair on the
// server) with the locally served vega-embed. SVG keeps charts crisp and testable.
(function () {
  "use strict";
  function render() {
    var nodes = document.querySelectorAll("[data-chart]");
    Array.prototype.forEach.call(nodes, function (el) {
      var source = document.getElementById(el.getAttribute("data-chart"));
      if (!source) { return; }
      var spec = JSON.parse(source.textContent);
      window.vegaEmbed(el, spec, { actions: false, renderer: "svg" })
        .then(function () { el.setAttribute("data-rendered", "true"); })
        .catch(function (err) {
          el.textContent = "This chart could not be drawn: " + err;
          console.error(err);
        });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", render);
  } else {
    render();
  }
})();
