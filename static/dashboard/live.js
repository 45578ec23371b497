// @ts-check
// YesApp dashboard, live: follows the event stream (GET /api/v1/events/stream, Server-Sent
// Events, signed in by the dashboard's cookie) and refreshes the parts of the page an event
// touches, at once, instead of waiting for the next 3 s poll.
//
// A page opts in with <div data-live-stream="/api/v1/events/stream?session=..."> and marks the
// polled fragments (app.js, data-poll) that events change with data-live="message.received
// session.status ..."; data-live-chat="<chat id>" narrows a fragment to one chat's messages.
// The fragment is fetched and merged by app.js as a poll would be (rows inserted in place, the
// reader's scroll position kept, nothing reloaded). While the stream is open those fragments
// are polled only every 30 s, in case; when it fails or the browser has no EventSource, app.js
// polls as before. Nothing else changes: the server renders every row, the stream only says when.
(function () {
  "use strict";

  // Events arriving together (a burst of messages) cost one fetch per fragment.
  var GATHER_MS = 80;

  /**
   * @typedef {{ refresh: (ids: string) => void, setStreaming: (on: boolean) => void }} Dashboard
   */

  /** @type {{ state: string, events: number, source: EventSource | null }} */
  var live = { state: "polling", events: 0, source: null };
  /** @type {Record<string, boolean>} */
  var due = {};
  /** @type {number | undefined} */
  var timer;

  /** @returns {Dashboard | null} */
  function dashboard() {
    var app = /** @type {any} */ (window).yesapp;
    return app && typeof app.refresh === "function" ? app : null;
  }

  /** @param {string} state */
  function setState(state) {
    live.state = state;
    document.documentElement.setAttribute("data-live-state", state);
    var app = dashboard();
    if (app) app.setStreaming(state === "streaming");
  }

  /** @param {Element} el @param {string} name @param {any} data */
  function touches(el, name, data) {
    var names = (el.getAttribute("data-live") || "").split(/\s+/);
    if (names.indexOf(name) === -1) return false;
    var chat = el.getAttribute("data-live-chat");
    // An event about another chat leaves this conversation alone; one without a chat id (a
    // status change read from the log, say) refreshes it: a fetch too many beats a miss.
    return !chat || !data || !data.chatId || data.chatId === chat;
  }

  /** @param {string} name @param {any} data */
  function schedule(name, data) {
    document.querySelectorAll("[data-live][id]").forEach(function (el) {
      if (touches(el, name, data)) due[el.id] = true;
    });
    if (timer === undefined) timer = window.setTimeout(flush, GATHER_MS);
  }

  function flush() {
    timer = undefined;
    var ids = Object.keys(due);
    due = {};
    var app = dashboard();
    if (app && ids.length) app.refresh(ids.join(" "));
  }

  /** @param {string} raw */
  function parse(raw) {
    try {
      return JSON.parse(raw);
    } catch (error) {
      return null;
    }
  }

  /** The events some part of this page follows: all the stream needs to send. */
  function names() {
    /** @type {Record<string, boolean>} */
    var wanted = {};
    document.querySelectorAll("[data-live]").forEach(function (el) {
      (el.getAttribute("data-live") || "").split(/\s+/).forEach(function (name) {
        if (name) wanted[name] = true;
      });
    });
    return Object.keys(wanted);
  }

  /** @param {Element} holder */
  function connect(holder) {
    var url = new URL(holder.getAttribute("data-live-stream") || "", window.location.href);
    var wanted = names();
    if (wanted.length) url.searchParams.set("types", wanted.join(","));
    var source = new EventSource(url.pathname + url.search);
    live.source = source;
    source.addEventListener("open", function () {
      setState("streaming");
      // Whatever happened between the page's render and now: one refresh of every live part.
      wanted.forEach(function (name) { schedule(name, null); });
    });
    wanted.forEach(function (name) {
      source.addEventListener(name, function (event) {
        live.events += 1;
        schedule(name, parse(/** @type {MessageEvent} */ (event).data));
      });
    });
    source.addEventListener("error", function (event) {
      var data = /** @type {MessageEvent} */ (event).data;
      if (data) {
        // The server's own `event: error` (events_pruned): resuming would only meet it again.
        source.close();
        setState("polling");
        return;
      }
      // CONNECTING: the browser retries by itself (resuming with Last-Event-ID); CLOSED: the
      // server refused (signed out, say). Either way the page polls meanwhile.
      setState(source.readyState === EventSource.CLOSED ? "polling" : "reconnecting");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var holder = document.querySelector("[data-live-stream]");
    if (!holder) return;
    if (typeof window.EventSource !== "function") {
      setState("polling"); // app.js polls every fragment at its own interval, as it always did
      return;
    }
    try {
      connect(holder);
    } catch (error) {
      setState("polling");
    }
  });

  /** @type {any} */ (window).yesappLive = live;
})();
