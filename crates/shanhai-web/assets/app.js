// The pages' only script, served from the site itself: the Content-Security-Policy allows no
// inline script. Buttons marked data-print print the page.
document.addEventListener("click", (event) => {
  if (event.target instanceof Element && event.target.closest("[data-print]")) {
    window.print();
  }
});
