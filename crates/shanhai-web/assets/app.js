// The pages' only script, served from the site itself: the Content-Security-Policy allows no
// inline script. Buttons marked data-print print the page.
document.addEventListener("click", (event) => {
  if (event.target instanceof Element && event.target.closest("[data-print]")) {
    window.print();
  }
});

// Type-ahead pickers. A `<select data-pick="/pick/people?role=doctor">` (see templates/picker.html)
// works as it is without script; here it becomes a text box that asks the server as one types
// (at most 20 labelled matches) and a hidden input that carries the chosen id under the
// select's name. `data-pick-with="specialty:department_id.specialty institution:institution_id"`
// adds query parameters from other fields of the form: the field's value, or (after a dot) a
// property of the item chosen there. Keys: ↓/↑ move, Enter chooses, Escape closes.
(() => {
  let counter = 0;

  function fieldOf(form, name) {
    return form ? form.querySelector(`[name="${CSS.escape(name)}"]`) : null;
  }

  function extraParams(select, form) {
    const params = new URLSearchParams();
    const spec = select.dataset.pickWith || "";
    for (const part of spec.split(/\s+/).filter(Boolean)) {
      const [param, source] = part.split(":");
      const [name, prop] = (source || "").split(".");
      const field = fieldOf(form, name);
      if (!field) continue;
      let value = field.value;
      if (prop) {
        const option = field.tagName === "SELECT" ? field.selectedOptions[0] : null;
        value = (option ? option.dataset[prop] : field.dataset[prop]) || "";
      }
      if (value) params.set(param, value);
    }
    return params;
  }

  function enhance(select) {
    const form = select.form;
    const id = select.id || `pick-${++counter}`;
    const chosen = select.selectedOptions[0];
    const wrap = document.createElement("div");
    wrap.className = "picker";
    const input = document.createElement("input");
    input.type = "text";
    input.id = id;
    input.className = "picker-input";
    input.autocomplete = "off";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", `${id}-list`);
    input.placeholder = select.dataset.pickPlaceholder || "";
    input.dataset.testid = `pick-${select.name}`;
    if (select.required) input.required = true;
    const hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = select.name;
    hidden.value = select.value;
    if (chosen && chosen.value) {
      input.value = chosen.textContent.trim();
      Object.assign(hidden.dataset, chosen.dataset);
    }
    const list = document.createElement("ul");
    list.id = `${id}-list`;
    list.className = "picker-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    wrap.append(input, hidden, list);
    select.replaceWith(wrap);

    let items = [];
    let active = -1;
    let timer = 0;
    let asked = 0;
    let chosenLabel = input.value;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function mark(i) {
      active = i;
      [...list.children].forEach((li, n) => li.setAttribute("aria-selected", String(n === i)));
      if (i >= 0 && list.children[i]) {
        input.setAttribute("aria-activedescendant", list.children[i].id);
        list.children[i].scrollIntoView({ block: "nearest" });
      }
    }

    function choose(item) {
      // An answer still on its way must not open the list again.
      clearTimeout(timer);
      asked++;
      hidden.value = item ? item.id : "";
      for (const key of Object.keys(hidden.dataset)) delete hidden.dataset[key];
      if (item && item.specialty) hidden.dataset.specialty = item.specialty;
      input.value = item ? item.label : "";
      chosenLabel = input.value;
      close();
      hidden.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function show(found) {
      items = found;
      list.replaceChildren();
      if (!found.length) {
        const li = document.createElement("li");
        li.className = "picker-empty";
        li.textContent = select.dataset.pickNone || "—";
        list.append(li);
      }
      found.forEach((item, n) => {
        const li = document.createElement("li");
        li.id = `${id}-opt-${n}`;
        li.setAttribute("role", "option");
        li.textContent = item.label;
        li.addEventListener("mousedown", (e) => {
          e.preventDefault();
          choose(item);
        });
        list.append(li);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      mark(found.length ? 0 : -1);
    }

    async function ask() {
      const params = extraParams(select, form);
      const q = input.value === chosenLabel ? "" : input.value.trim();
      if (q) params.set("q", q);
      const base = select.dataset.pick;
      const url = base + (base.includes("?") ? "&" : "?") + params.toString();
      const mine = ++asked;
      try {
        const res = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
        if (!res.ok) return;
        const body = await res.json();
        if (mine === asked && document.activeElement === input) show(body.items || []);
      } catch (_) {
        /* offline: keep what is shown */
      }
    }

    input.addEventListener("input", () => {
      if (hidden.value && input.value !== chosenLabel) {
        hidden.value = "";
        for (const key of Object.keys(hidden.dataset)) delete hidden.dataset[key];
        hidden.dispatchEvent(new Event("change", { bubbles: true }));
      }
      clearTimeout(timer);
      timer = setTimeout(ask, 150);
    });
    input.addEventListener("focus", () => {
      clearTimeout(timer);
      timer = setTimeout(ask, 0);
    });
    input.addEventListener("blur", () => {
      clearTimeout(timer);
      asked++;
      // A text that matches nothing chosen is not a choice: the field goes back to empty.
      if (!hidden.value) input.value = "";
      else input.value = chosenLabel;
      close();
    });
    input.addEventListener("keydown", (e) => {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        if (list.hidden) return void ask();
        const n = items.length;
        if (n) mark(e.key === "ArrowDown" ? (active + 1) % n : (active - 1 + n) % n);
      } else if (e.key === "Enter") {
        if (!list.hidden) {
          e.preventDefault();
          if (active >= 0 && items[active]) choose(items[active]);
        }
      } else if (e.key === "Escape") {
        if (!list.hidden) {
          e.preventDefault();
          close();
        }
      }
    });
  }

  function start() {
    document.querySelectorAll("select[data-pick]").forEach(enhance);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
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

// The "saved" confirmation is shown once: the address loses its ?saved=1 (pages::confirm_saves).
(() => {
  const here = new URL(window.location.href);
  if (here.searchParams.has("saved")) {
    here.searchParams.delete("saved");
    window.history.replaceState(null, "", here.pathname + here.search + here.hash);
  }
})();

// A copy button (`data-copy="<input id>"`) puts the input's value on the clipboard; without
// clipboard access the text is selected for the user to copy.
document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
  if (!button) return;
  const input = document.getElementById(button.dataset.copy);
  if (!input) return;
  input.select();
  if (navigator.clipboard) {
    navigator.clipboard.writeText(input.value).then(() => {
      if (button.dataset.copied) button.textContent = button.dataset.copied;
    }, () => {});
  }
});
