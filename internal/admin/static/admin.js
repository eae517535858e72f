// Herald admin: progressive enhancement only. Every page works without it.
(function () {
  "use strict";

  // Markdown preview in place: the Preview button posts to /admin/preview on
  // its own (formaction) without JavaScript; here it fills the box under the text.
  document.querySelectorAll("button[data-preview]").forEach(function (btn) {
    btn.addEventListener("click", function (ev) {
      var form = btn.form;
      var box = form && form.querySelector(".preview");
      var field = form && form.querySelector("textarea[name='" + btn.dataset.preview + "']");
      if (!box || !field) return;
      ev.preventDefault();
      var body = new URLSearchParams();
      body.set("body", field.value);
      fetch("/admin/preview?fragment=1", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: body
      }).then(function (r) {
        if (!r.ok) throw new Error("preview failed: " + r.status);
        return r.text();
      }).then(function (html) {
        box.hidden = false;
        // The server sanitises the Markdown with the public page's policy.
        box.innerHTML = html;
      }).catch(function () {
        box.hidden = false;
        box.textContent = "The preview could not be loaded. Your text is still here.";
      });
    });
  });

  // Starter texts fill the update form without a page load.
  document.querySelectorAll("a[data-starter]").forEach(function (a) {
    a.addEventListener("click", function (ev) {
      var form = document.getElementById(a.dataset.form);
      if (!form) return;
      var text = form.querySelector("textarea[name=body]");
      var st = form.querySelector("select[name=status]");
      if (!text) return;
      ev.preventDefault();
      if (text.value.trim() !== "" && text.value !== text.dataset.starter &&
          !window.confirm("Replace the text you have written with this starter text?")) return;
      text.value = a.dataset.body;
      text.dataset.starter = a.dataset.body;
      if (st && a.dataset.status) st.value = a.dataset.status;
      // A configured template may also give a title, an impact and the
      // components' statuses; a title the operator typed stays.
      var title = form.querySelector("input[name=title]");
      if (title && a.dataset.title && (title.value.trim() === "" || title.value === title.dataset.starter)) {
        title.value = a.dataset.title;
        title.dataset.starter = a.dataset.title;
      }
      var impact = form.querySelector("select[name=impact]");
      if (impact && a.dataset.impact) impact.value = a.dataset.impact;
      (a.dataset.components || "").split(" ").forEach(function (pair) {
        var i = pair.indexOf("=");
        if (i < 0) return;
        var sel = form.querySelector('select[name="c:' + pair.slice(0, i).replace(/["\\]/g, "") + '"]');
        if (sel) sel.value = pair.slice(i + 1);
      });
      text.focus();
    });
  });

  // A second thought before the irreversible buttons.
  document.querySelectorAll("[data-confirm]").forEach(function (el) {
    el.addEventListener("click", function (ev) {
      if (!window.confirm(el.dataset.confirm)) ev.preventDefault();
    });
  });
})();
