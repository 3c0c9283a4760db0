/* dlbook: small repairs to the theme's behaviour, loaded on every page (book/_ext/dlbook_site.py).
 *
 * 1. MathJax typesets after the page's own start-up scripts. Loaded with `defer`, MathJax would
 *    otherwise typeset the whole chapter before DOMContentLoaded, so the menus, toggles and sliders
 *    stayed dead for seconds; now the text is readable and the page works at once, and the formulas
 *    render right after.
 * 2. Both sidebar toggles work. The theme binds its handlers to the FIRST .primary-toggle and
 *    .secondary-toggle in the page, which are hidden copies in the top bar; a click on a visible
 *    toggle is passed on to the bound one.
 * 3. A click anywhere on a dropdown's title (a solution, a hidden proof) opens or closes that
 *    dropdown. togglebutton.js finds its button only when the click lands on the bare title or the
 *    chevron; a click on the link sphinx-exercise puts in "Solution to Exercise 1.1 (...)" jumped
 *    to the exercise, threw "ReferenceError: button is not defined" and toggled another solution.
 * 4. On a phone a slider frame is shrunk to the screen; a tap shows it at its natural size.
 */
(function () {
  "use strict";

  // ---- 1. MathJax after the page's scripts (this file runs before the deferred tex-chtml.js)
  function afterPageScripts() {
    return new Promise(function (resolve) {
      var started = false;
      function go() {
        if (!started) {
          started = true;
          setTimeout(resolve, 0);
        }
      }
      if (document.readyState === "complete") {
        go();
      } else {
        document.addEventListener("DOMContentLoaded", go);
        window.addEventListener("load", go);
      }
    });
  }
  window.MathJax = window.MathJax || {};
  window.MathJax.startup = window.MathJax.startup || {};
  window.MathJax.startup.pageReady = function () {
    return afterPageScripts().then(function () {
      performance.mark("dlbook:math-start"); // tests/test_site.py reads these two marks
      return window.MathJax.startup.defaultPageReady();
    }).then(function () {
      performance.mark("dlbook:math-done");
    });
  };

  // ---- 2. sidebar toggles: pass a click on a visible toggle to the one the theme listens on
  function forwardSidebarToggle(event) {
    var button = event.target.closest && event.target.closest(".primary-toggle, .secondary-toggle");
    if (!button) return;
    var kind = button.classList.contains("primary-toggle") ? ".primary-toggle" : ".secondary-toggle";
    var bound = document.querySelector(kind);
    if (!bound || bound === button) return;
    event.preventDefault();
    event.stopPropagation();
    bound.click();
  }

  // ---- 3. dropdown titles: the whole title toggles its own dropdown, and nothing else
  function toggleFromTitle(event) {
    var title = event.target.closest && event.target.closest(".admonition.toggle > .admonition-title");
    if (!title || typeof window.toggleHidden !== "function") return;
    var button = title.querySelector(".toggle-button");
    if (!button) return;
    event.preventDefault();
    event.stopPropagation();
    window.toggleHidden(button);
  }

  // ---- 4. slider frames on a phone: shrunk to the screen, a tap shows one at its natural size
  //         (legible text, scrolled sideways inside the slider); another tap fits it again
  function zoomSliderFrame(event) {
    var img = event.target.closest && event.target.closest("img.dlbook-slider-frame");
    var slider = img && img.closest(".dlbook-slider");
    if (!slider) return;
    var shrunk = img.getBoundingClientRect().width < img.naturalWidth - 1;
    if (shrunk || slider.classList.contains("dlbook-zoomed")) slider.classList.toggle("dlbook-zoomed");
  }

  document.addEventListener("click", forwardSidebarToggle, true);
  document.addEventListener("click", toggleFromTitle, true);
  document.addEventListener("click", zoomSliderFrame);
})();
