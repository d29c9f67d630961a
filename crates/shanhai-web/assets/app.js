// The pages' only script, served from the site itself: the Content-Security-Policy allows no
// inline script. Buttons marked data-print print the page.
document.addEventListener("click", (event) => {
  if (event.target instanceof Element && event.target.closest("[data-print]")) {
    window.print();
  }
});

// The clinic session form: the expert list shows the chosen department's specialty (and the
// experts whose specialty is not known); without a department, or without this script, all.
function filterExperts(select) {
  const form = select.form;
  const by = form && form.elements[select.dataset.filterBy];
  if (!by) return;
  const chosen = by.selectedOptions[0];
  const specialty = chosen ? chosen.dataset.specialty || "" : "";
  for (const option of select.options) {
    const own = option.dataset.specialty || "";
    const hide = specialty !== "" && own !== "" && own !== specialty;
    option.hidden = hide;
    option.disabled = hide;
    if (hide && option.selected) select.value = "";
  }
}
document.addEventListener("change", (event) => {
  const target = event.target;
  if (!(target instanceof HTMLSelectElement) || !target.form) return;
  for (const select of target.form.querySelectorAll(`select[data-filter-by="${target.name}"]`)) {
    filterExperts(select);
  }
});
document.addEventListener("DOMContentLoaded", () => {
  for (const select of document.querySelectorAll("select[data-filter-by]")) filterExperts(select);
});
