// Client-side search of one version of the guidance. The index is a script the build
// writes per version (window.keyguideSearch), loaded before this one; this file only
// reads it, so it works offline and under `Content-Security-Policy: default-src 'self'`.
(function () {
  "use strict";
  var MAX_RESULTS = 20;
  var form = document.querySelector("form.kg-search");
  var pages = window.keyguideSearch;
  if (!form || !Array.isArray(pages)) {
    return;
  }
  var input = form.querySelector("#kg-search-input");
  var status = form.querySelector("#kg-search-status");
  var results = form.querySelector("#kg-search-results");
  var root = form.getAttribute("data-kg-root") || "";
  form.hidden = false;

  // An integration guide's entry holds only its own text; a section marked `b` also shows
  // the base guide's section of the same id, whose text is in the base guide's entry.
  var baseText = Object.create(null);
  pages.forEach(function (page) {
    var parts = page.u.split("/");
    if (parts.length === 2) {
      // The first section of an id wins, as in composition; no prototype behind the ids.
      var texts = Object.create(null);
      page.s.forEach(function (section) {
        if (!(section.i in texts)) {
          texts[section.i] = section.x;
        }
      });
      baseText[parts[0]] = texts;
    }
  });
  function sectionText(page, section) {
    if (!section.b) {
      return section.x;
    }
    var texts = baseText[page.u.split("/")[0]] || Object.create(null);
    return (texts[section.i] || "") + " " + section.x;
  }

  // Lower-cased words of the query; a section matches when it holds every word.
  function words(text) {
    return text.toLowerCase().split(/\s+/).filter(function (w) { return w.length > 0; });
  }

  function search(query) {
    var terms = words(query);
    var found = [];
    if (terms.length === 0) {
      return found;
    }
    pages.forEach(function (page) {
      page.s.forEach(function (section) {
        var title = section.t.toLowerCase();
        var text = title + " " + sectionText(page, section).toLowerCase();
        var score = 0;
        for (var i = 0; i < terms.length; i++) {
          if (text.indexOf(terms[i]) < 0) {
            return;
          }
          score += title.indexOf(terms[i]) >= 0 ? 3 : 1;
        }
        found.push({ page: page, section: section, score: score });
      });
    });
    found.sort(function (a, b) { return b.score - a.score; });
    return found.slice(0, MAX_RESULTS);
  }

  function show(query) {
    var found = search(query);
    results.textContent = "";
    if (words(query).length === 0) {
      status.textContent = "";
      return;
    }
    status.textContent = found.length === 0
      ? "No sections match."
      : found.length + (found.length === 1 ? " section matches." : " sections match.");
    if (found.length === 0) {
      return;
    }
    var list = document.createElement("ul");
    found.forEach(function (hit) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = root + hit.page.u + "#" + encodeURIComponent(hit.section.i);
      var where = document.createElement("span");
      where.className = "kg-search-where";
      where.textContent = hit.page.p === hit.page.g ? hit.page.g : hit.page.g + " › " + hit.page.p;
      var what = document.createElement("span");
      what.className = "kg-search-what";
      what.textContent = hit.section.t;
      link.appendChild(what);
      link.appendChild(where);
      item.appendChild(link);
      list.appendChild(item);
    });
    results.appendChild(list);
  }

  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { show(input.value); }, 120);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    show(input.value);
    var first = results.querySelector("a");
    if (first) {
      first.focus();
    }
  });
  // Arrow keys move between the box and the results; Escape clears.
  form.addEventListener("keydown", function (event) {
    var links = Array.prototype.slice.call(results.querySelectorAll("a"));
    var at = links.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && links.length > 0) {
      event.preventDefault();
      links[Math.min(at + 1, links.length - 1)].focus();
    } else if (event.key === "ArrowUp" && at >= 0) {
      event.preventDefault();
      (at === 0 ? input : links[at - 1]).focus();
    } else if (event.key === "Escape") {
      input.value = "";
      show("");
      input.focus();
    }
  });
})();
