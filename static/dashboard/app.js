// YesApp dashboard: polling of server-rendered fragments (slowed down while live.js has the
// event stream open and refreshes them on events), forms sent with fetch (answered by
// a toast), confirmations, phone number checks, and an image lightbox. No inline script
// anywhere (the pages send a strict Content-Security-Policy); everything hooks in from here.
(function () {
  "use strict";

  var E164 = /^\+[1-9][0-9]{6,14}$/;
  var E164_HINT = "Use international format: + then country code and number, e.g. +33612345678.";
  var HEADERS = { "X-Requested-With": "fetch" };
  var pollers = {};
  // While the event stream is open, fragments it keeps current (data-live) are polled only this
  // often, in case an event was missed; static/dashboard/live.js switches it on and off.
  var LIVE_SAFETY_INTERVAL = 30000;
  var streaming = false;

  // --- Toasts -------------------------------------------------------------------------------
  function toast(text, ok) {
    var box = document.getElementById("toasts");
    if (!box || !text) return;
    var item = document.createElement("div");
    item.className = "toast " + (ok ? "toast-ok" : "toast-bad");
    item.setAttribute("role", ok ? "status" : "alert");
    item.textContent = text; // never HTML: messages can quote what a user typed
    box.appendChild(item);
    setTimeout(function () { item.classList.add("toast-out"); }, ok ? 4000 : 7000);
    setTimeout(function () { item.remove(); }, ok ? 4400 : 7400);
  }

  // --- Polling --------------------------------------------------------------------------------
  function busy(el) {
    // Don't pull the rug from under someone: a focused field, an open <details>, a playing video.
    var active = document.activeElement;
    if (active && active !== document.body && el.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName)) {
      return true;
    }
    if (el.querySelector("details[open]")) return true;
    var media = el.querySelectorAll("video, audio");
    for (var i = 0; i < media.length; i++) {
      if (!media[i].paused) return true;
    }
    return false;
  }

  function Poller(el) {
    this.el = el;
    this.url = el.getAttribute("data-poll");
    this.interval = parseInt(el.getAttribute("data-interval") || "3000", 10);
    this.live = el.hasAttribute("data-live");
    this.html = null;
    this.inflight = false;
    this.again = false; // asked again while a fetch was under way: fetch once more after it
    this.timer = null;
  }

  Poller.prototype.schedule = function () {
    var self = this;
    clearTimeout(this.timer);
    var interval = streaming && this.live ? LIVE_SAFETY_INTERVAL : this.interval;
    this.timer = setTimeout(function () { self.refresh(); }, interval);
  };

  Poller.prototype.refresh = function (force) {
    var self = this;
    if (this.inflight) { if (force) this.again = true; return; }
    if (document.hidden && !force) { this.schedule(); return; }
    this.inflight = true;
    var url = this.url;
    fetch(url, { headers: HEADERS, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.status === 401 || response.status === 404 || response.redirected) {
          // Signed out, key revoked, or the session was deleted elsewhere: the reloaded page
          // shows the sign-in form or the "not found" page.
          window.location.reload();
          return null;
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        if (html === null || url !== self.url) return; // the filter changed meanwhile
        html = html.trim();
        if (html !== self.html && (force || !busy(self.el))) {
          if (!mergeKeyed(self.el, html)) self.el.innerHTML = html;
          self.html = html;
          self.el.classList.remove("stale");
          afterSwap();
        }
      })
      .catch(function () { self.el.classList.add("stale"); })
      .then(function () {
        self.inflight = false;
        // An event came in while the fetch was under way: what it changed may not be in that answer.
        if (self.again) { self.again = false; self.refresh(true); } else self.schedule();
      });
  };

  // A fragment holding a list marked data-keyed (the message log) is merged item by item, by
  // data-key: the list element stays, so its scroll position survives; new items are added,
  // changed ones replaced, gone ones removed. When the reader has scrolled down, the item they
  // are reading stays where it is on screen as items arrive above it. A list marked
  // data-keyed="bottom" (a conversation, newest last) stays scrolled to its end when it was
  // there, so new messages come into view; otherwise it keeps its place too. False: no such list in
  // both versions (e.g. the empty state), and the caller replaces the fragment whole.
  function mergeKeyed(el, html) {
    var fresh = document.createElement("div");
    fresh.innerHTML = html;
    var list = el.querySelector("[data-keyed]"), next = fresh.querySelector("[data-keyed]");
    if (!list || !next || list.parentNode !== el || next.parentNode !== fresh) return false;
    var bottom = list.getAttribute("data-keyed") === "bottom";
    var atEnd = bottom && list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
    var place = atEnd ? null : readingPlace(list, bottom);
    var old = {};
    Array.prototype.forEach.call(list.children, function (item) { old[item.getAttribute("data-key")] = item; });
    var previous = null;
    Array.prototype.slice.call(next.children).forEach(function (item) {
      var key = item.getAttribute("data-key"), node = old[key];
      delete old[key];
      if (!node || node.outerHTML !== item.outerHTML) {
        if (node) node.remove();
        node = item;
      }
      var wanted = previous ? previous.nextSibling : list.firstChild;
      if (node !== wanted) list.insertBefore(node, wanted);
      previous = node;
    });
    Object.keys(old).forEach(function (key) { old[key].remove(); });
    // What surrounds the list (the "showing N of M" line) is simply replaced.
    Array.prototype.slice.call(el.childNodes).forEach(function (node) { if (node !== list) node.remove(); });
    var before = true;
    Array.prototype.slice.call(fresh.childNodes).forEach(function (node) {
      if (node === next) { before = false; return; }
      if (before) el.insertBefore(node, list); else el.appendChild(node);
    });
    if (atEnd) list.scrollTop = list.scrollHeight;
    else if (place) {
      var item = list.querySelector('[data-key="' + place.key + '"]');
      if (item) list.scrollTop += item.getBoundingClientRect().top - place.top;
    }
    return true;
  }

  // The first item visible in a scrolled list, and where it is; null at the top of a list whose
  // newest items come first, where the reader sees them come in.
  function readingPlace(list, anywhere) {
    if (list.scrollTop <= 0 && !anywhere) return null;
    var top = list.getBoundingClientRect().top;
    var item = Array.prototype.find.call(list.children, function (child) {
      return child.getBoundingClientRect().bottom > top + 1;
    });
    return item ? { key: item.getAttribute("data-key"), top: item.getBoundingClientRect().top } : null;
  }

  function refresh(ids) {
    (ids || "").split(/\s+/).forEach(function (id) {
      if (pollers[id]) pollers[id].refresh(true);
    });
  }

  // Elements with data-show-when="qr starting" are shown only while one of those words is
  // among the current states, which polled fragments announce in data-state (the session's
  // status; "linked"/"unlinked" for the sandbox phone).
  function afterSwap() {
    var states = [];
    document.querySelectorAll("[data-state]").forEach(function (el) {
      states = states.concat(el.getAttribute("data-state").split(/\s+/));
    });
    if (!states.length) return;
    document.querySelectorAll("[data-show-when]").forEach(function (el) {
      el.hidden = !el.getAttribute("data-show-when").split(/\s+/).some(function (word) {
        return states.indexOf(word) !== -1;
      });
    });
  }

  // Filter links (All / Inbound / Outbound, log levels) change what a poller fetches.
  function applyFilter(link) {
    var target = pollers[link.getAttribute("data-filter-for")];
    if (!target) return false;
    var param = link.getAttribute("data-param");
    var value = link.getAttribute("data-value");
    var url = new URL(target.url, window.location.href);
    url.searchParams.set(param, value);
    target.url = url.pathname + url.search;
    target.el.setAttribute("data-poll", target.url);
    link.parentNode.querySelectorAll("[data-filter-for]").forEach(function (other) {
      if (other === link) other.setAttribute("aria-current", "true");
      else other.removeAttribute("aria-current");
    });
    var page = new URL(window.location.href);
    page.searchParams.set(param, value);
    history.replaceState(null, "", page.pathname + page.search + page.hash);
    target.html = null;
    target.inflight = false;
    target.refresh(true);
    return true;
  }

  // --- Forms ------------------------------------------------------------------------------------
  function fieldError(form, name, text) {
    var slot = form.querySelector('[data-error-for="' + name + '"]');
    var input = form.querySelector('[name="' + name + '"]');
    if (input) input.setAttribute("aria-invalid", text ? "true" : "false");
    if (!slot) return;
    slot.textContent = text || "";
    slot.hidden = !text;
  }

  function clearErrors(form) {
    form.querySelectorAll("[data-error-for]").forEach(function (slot) {
      fieldError(form, slot.getAttribute("data-error-for"), "");
    });
  }

  // Phone numbers are checked here first, so a typo never costs a request.
  function validPhones(form) {
    var ok = true;
    form.querySelectorAll("input[data-e164]").forEach(function (input) {
      var value = input.value.replace(/[\s\-().]/g, "");
      var empty = value === "";
      if ((empty && input.required) || (!empty && !E164.test(value))) {
        fieldError(form, input.name, empty ? "A phone number is required." : E164_HINT);
        if (ok) input.focus();
        ok = false;
      } else {
        input.value = value;
      }
    });
    return ok;
  }

  function showResult(form, body) {
    if (body.secret) {
      var box = form.querySelector("[data-secret-box]");
      if (box) {
        box.querySelector("[data-secret]").textContent = body.secret;
        box.hidden = false;
      }
    }
    if (body.code) {
      var code = form.querySelector("[data-pairing-code]");
      if (code) { code.textContent = body.code; code.hidden = false; }
    }
    if (body.errors) {
      Object.keys(body.errors).forEach(function (name) { fieldError(form, name, body.errors[name][0]); });
    }
  }

  function resetForm(form) {
    var keep = (form.getAttribute("data-keep") || "").split(/\s+/);
    var saved = {};
    keep.forEach(function (name) {
      var input = name && form.querySelector('[name="' + name + '"]');
      if (input) saved[name] = input.value;
    });
    form.reset();
    Object.keys(saved).forEach(function (name) { form.querySelector('[name="' + name + '"]').value = saved[name]; });
  }

  function submitAjax(form) {
    var button = form.querySelector('button[type="submit"]');
    if (button) button.disabled = true;
    fetch(form.action, { method: "POST", body: new FormData(form), headers: HEADERS, credentials: "same-origin" })
      .then(function (response) {
        return response.json().catch(function () {
          return { ok: false, message: "The server answered " + response.status + "." };
        });
      })
      .then(function (body) {
        if (body.signedOut) { window.location.reload(); return; }
        toast(body.message, body.ok);
        showResult(form, body);
        if (body.redirect) { window.location.assign(body.redirect); return; }
        if (body.ok && (form.hasAttribute("data-reset") || form.hasAttribute("data-keep"))) resetForm(form);
        refresh(form.getAttribute("data-refresh"));
      })
      .catch(function () { toast("The server could not be reached.", false); })
      .then(function () { if (button) button.disabled = false; });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    clearErrors(form);
    if (!validPhones(form)) { event.preventDefault(); return; }
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); return; }
    if (form.hasAttribute("data-ajax")) {
      event.preventDefault();
      submitAjax(form);
    }
  });

  // --- Clicks: filters and the lightbox ------------------------------------------------------------
  function openLightbox(src, alt) {
    var box = document.getElementById("lightbox");
    var img = box.querySelector("img");
    img.src = src;
    img.alt = alt || "";
    box.hidden = false;
    box.querySelector(".lightbox-close").focus();
  }

  function closeLightbox() {
    var box = document.getElementById("lightbox");
    if (box && !box.hidden) {
      box.hidden = true;
      box.querySelector("img").removeAttribute("src");
    }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-filter-for]");
    if (link && applyFilter(link)) { event.preventDefault(); return; }
    var thumb = event.target.closest("a[data-lightbox]");
    if (thumb) {
      event.preventDefault();
      var img = thumb.querySelector("img");
      openLightbox(thumb.getAttribute("href"), img ? img.alt : "");
      return;
    }
    if (event.target.closest("#lightbox")) closeLightbox();
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closeLightbox();
  });

  // --- Start ---------------------------------------------------------------------------------------
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-poll]").forEach(function (el) {
      var poller = new Poller(el);
      if (el.id) pollers[el.id] = poller;
      // Fragments rendered with the page count as current; the first poll only replaces them if changed.
      poller.html = el.innerHTML.trim();
      if (el.hasAttribute("data-poll-now")) poller.refresh(true);
      else poller.schedule();
    });
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) Object.keys(pollers).forEach(function (id) { pollers[id].refresh(); });
    });
    afterSwap();
    // A conversation opens at its newest message.
    document.querySelectorAll('[data-keyed="bottom"]').forEach(function (list) { list.scrollTop = list.scrollHeight; });
    // Flash messages from a form posted without JavaScript become toasts too.
    document.querySelectorAll(".flash li").forEach(function (item) {
      toast(item.textContent, !item.classList.contains("flash-error"));
    });
    var flash = document.querySelector(".flash");
    if (flash) flash.remove();
  });

  // live.js: the stream is open (poll the data-live fragments only as a safety net) or not.
  function setStreaming(on) {
    if (streaming === on) return;
    streaming = on;
    Object.keys(pollers).forEach(function (id) { if (pollers[id].live) pollers[id].schedule(); });
  }

  window.yesapp = { refresh: refresh, toast: toast, setStreaming: setStreaming, pollers: pollers };
})();
