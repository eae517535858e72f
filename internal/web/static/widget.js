/* Herald's status widget: the current status and what is going on, for a
   status page or one of its servers, on the customer's own site.
     <script src="https://status.example.net/widget.js" data-server="flexo" async></script>
   It reads the page's Statuspage-compatible /api/v2/summary.json (served
   with CORS), adds widget.css, and puts the widget right after its script
   element. No dependencies; every text from the page is set as text.
   It speaks the status page's language (de, es or en, as the page's
   /api/v2 documents declare it in Content-Language), or the script
   element's data-lang when given. */
(function () {
  "use strict";
  // The status words and their classes, and the widget's sentences, in
  // each language, put in by Herald (internal/status, internal/locale).
  var ALL = /*HERALD_WORDS*/null;
  var REFRESH_MS = 60000;
  var UPCOMING = 3;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  function addStylesheet(href) {
    var links = document.querySelectorAll('link[rel="stylesheet"]');
    for (var i = 0; i < links.length; i++) {
      if (links[i].href === href) return;
    }
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = href;
    document.head.appendChild(link);
  }

  // known is a language the widget speaks, from a code such as "de" or "de-AT".
  function known(code) {
    var l = String(code || "").trim().toLowerCase().split(/[-_,\s]/)[0];
    return Object.prototype.hasOwnProperty.call(ALL, l) ? l : "";
  }

  // fill puts a value in a sentence's "%s".
  function fill(s, v) { return s.replace("%s", v); }

  // when formats a time in the page's zone and language, as the page would
  // ("Dec 3, 2:05 PM PST", "3. Dez., 14:05 PST").
  function when(iso, zone, lang) {
    var d = new Date(iso);
    if (isNaN(d)) return "";
    var opts = { month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZoneName: "short" };
    var locale = lang === "en" ? undefined : lang;
    try {
      return new Intl.DateTimeFormat(locale, Object.assign({ timeZone: zone }, opts)).format(d);
    } catch (e) {
      return new Intl.DateTimeFormat(locale, opts).format(d);
    }
  }

  function affects(item, server) {
    if (!server) return true;
    var list = item.components || [];
    for (var i = 0; i < list.length; i++) {
      if (list[i].id === server || list[i].group_id === server) return true;
    }
    return false;
  }

  function Widget(script) {
    this.base = new URL(".", script.src);
    this.server = (script.getAttribute("data-server") || "").trim();
    // data-lang, when given and known, wins over the page's language.
    this.fixedLang = known(script.getAttribute("data-lang"));
    // Until the page's language is known, the site's own is the best guess.
    this.lang = this.fixedLang || known(document.documentElement.lang) || "en";
    this.W = ALL[this.lang];
    this.shown = null;
    var root = el("section", "herald-widget");
    root.setAttribute("lang", this.lang);
    root.setAttribute("aria-label", this.server ? fill(this.W.ui.statusOf, this.server) : this.W.ui.service);
    this.title = el("p", "hw-title", this.server || this.W.ui.title);
    // What changes is announced, politely, and only when it changes.
    this.live = el("div", "hw-live");
    this.live.setAttribute("role", "status");
    this.live.setAttribute("aria-live", "polite");
    this.live.appendChild(el("p", "hw-empty", this.W.ui.loading));
    var foot = el("p", "hw-foot");
    this.link = el("a");
    this.link.href = this.base.href;
    this.link.target = "_blank";
    this.link.rel = "noopener";
    foot.appendChild(this.link);
    root.appendChild(this.title);
    root.appendChild(this.live);
    root.appendChild(foot);
    this.root = root;
    this.speak(this.lang);
    script.parentNode.insertBefore(root, script.nextSibling);
  }

  // speak sets the widget's language and the words that do not come with
  // the status: the link to the page.
  Widget.prototype.speak = function (lang) {
    this.lang = lang;
    this.W = ALL[lang];
    this.root.setAttribute("lang", lang);
    this.link.textContent = this.W.ui.full;
    this.link.appendChild(el("span", "hw-sr", " " + this.W.ui.newTab));
  };

  Widget.prototype.load = function () {
    var self = this;
    return fetch(new URL("api/v2/summary.json", this.base).href, { credentials: "omit", mode: "cors" })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        var lang = self.fixedLang || known(r.headers.get("Content-Language")) || "en";
        if (lang !== self.lang) {
          self.speak(lang);
          self.shown = null; // say it all again, in this language
        }
        return r.json();
      })
      .then(function (s) { self.render(s); })
      .catch(function () { self.fail(); });
  };

  Widget.prototype.fail = function () {
    // Whatever was shown stays: a failed refresh is no news. Only a widget
    // that never loaded says so.
    if (this.shown !== null) return;
    this.show("fail", [el("p", "hw-empty", this.W.ui.fail)]);
  };

  Widget.prototype.show = function (key, nodes) {
    if (key === this.shown) return;
    this.shown = key;
    while (this.live.firstChild) this.live.removeChild(this.live.firstChild);
    for (var i = 0; i < nodes.length; i++) this.live.appendChild(nodes[i]);
  };

  Widget.prototype.render = function (s) {
    var server = this.server, zone = (s.page && s.page.time_zone) || undefined;
    var W = this.W, lang = this.lang;
    var kind, label, name;
    if (server) {
      var group = null;
      (s.components || []).forEach(function (c) { if (c.group && c.id === server) group = c; });
      if (!group) {
        this.show("unknown", [el("p", "hw-empty", fill(W.ui.noServer, server))]);
        return;
      }
      var w = W.component[group.status] || ["none", group.status];
      kind = w[0]; label = w[1]; name = group.name;
    } else {
      var st = s.status || {};
      kind = W.indicator[st.indicator] || "none"; label = W.overall[st.indicator] || st.description || "";
      name = (s.page && s.page.name) || W.ui.title;
    }
    this.title.textContent = name;
    this.root.setAttribute("aria-label", fill(W.ui.statusOf, name));
    if (s.page && /^https?:\/\//.test(s.page.url || "")) this.link.href = s.page.url;

    var items = [], base = this.base;
    (s.incidents || []).forEach(function (inc) {
      if (!affects(inc, server)) return;
      var w = W.incident[inc.status] || ["major", inc.status];
      items.push({ url: inc.shortlink, title: inc.name, kind: w[0], label: w[1], when: fill(W.ui.since, when(inc.started_at || inc.created_at, zone, lang)) });
    });
    var windows = (s.scheduled_maintenances || []).filter(function (m) { return affects(m, server); });
    var running = windows.filter(function (m) { return m.status !== "scheduled"; });
    var planned = windows.filter(function (m) { return m.status === "scheduled"; }).slice(0, UPCOMING);
    running.concat(planned).forEach(function (m) {
      var w = W.maintenance[m.status] || ["maint", m.status];
      var word = W.window[m.status] || w[1];
      items.push({ url: m.shortlink, title: m.name, kind: w[0], label: word,
        when: when(m.scheduled_for, zone, lang) + W.ui.to + when(m.scheduled_until, zone, lang) });
    });

    var status = el("p", "hw-status hw-k-" + kind);
    var dot = el("span", "hw-dot");
    dot.setAttribute("aria-hidden", "true");
    status.appendChild(dot);
    status.appendChild(el("span", null, label));
    var nodes = [status];
    if (items.length === 0) {
      nodes.push(el("p", "hw-empty", W.empty));
    } else {
      var list = el("ul", "hw-items");
      items.forEach(function (it) {
        var li = el("li", "hw-item hw-k-" + it.kind);
        var a = el("a", "hw-link", it.title);
        try { a.href = new URL(it.url || "", base).href; } catch (e) { a.href = base.href; }
        a.target = "_blank";
        a.rel = "noopener";
        a.appendChild(el("span", "hw-sr", " " + W.ui.newTab));
        var meta = el("span", "hw-meta");
        meta.appendChild(el("span", "hw-label", it.label));
        meta.appendChild(document.createTextNode(" · " + it.when));
        li.appendChild(a);
        li.appendChild(document.createTextNode(" "));
        li.appendChild(meta);
        list.appendChild(li);
      });
      nodes.push(list);
    }
    // Shown again only when what it says changed, so a screen reader
    // hears news, not the same words every minute.
    this.show(JSON.stringify([lang, name, kind, label, items]), nodes);
  };

  function start() {
    var scripts = document.querySelectorAll("script[src]");
    for (var i = 0; i < scripts.length; i++) {
      var sc = scripts[i];
      if (sc.hasAttribute("data-herald-widget") || !/\/widget\.js$/.test(new URL(sc.src, location.href).pathname)) continue;
      sc.setAttribute("data-herald-widget", "");
      addStylesheet(new URL("widget.css", new URL(".", sc.src)).href);
      var w = new Widget(sc);
      w.load();
      setInterval(function (w) {
        return function () { if (!document.hidden) w.load(); };
      }(w), REFRESH_MS);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
