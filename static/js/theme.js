// Applies a theme the reader chose (light or dark) before the page paints; without a choice
// the system preference rules (see site.css). Kept tiny: it blocks rendering.
(function () {
  try {
    var theme = localStorage.getItem("pizhu-theme");
    if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
  } catch (e) { /* storage disabled: the system preference applies */ }
})();
