// The sandbox's WPP (wpp.js says what the whole is; templates/sandbox/page.html loads the
// parts in order), its first part: what every other part shares. The page's config and
// state, the event emitter, the shapes of wa-js values (Wid, MsgKey, MsgModel, WPPError) and
// the calls to the app (sandbox/views.py), with the device token kept in IndexedDB.
//
// Each part is a plain script that publishes one global (`SandboxCore` here) for the parts
// after it: no bundler, and every part runs synchronously in <head>.
// @ts-check
var SandboxCore = (function () {
  'use strict';
  /** @typedef {import('@wppconnect/wa-js').whatsapp.Wid} Wid */
  /** @typedef {import('@wppconnect/wa-js').whatsapp.MsgKey} MsgKey */
  /** @typedef {import('@wppconnect/wa-js').whatsapp.MsgModel} MsgModel */
  /** @typedef {import('../../../sessions_app/engine/page/wpp-contract').ContractEvents} ContractEvents */

  var config = JSON.parse(document.getElementById('sandbox-config').textContent);
  var base = '/sandbox/web/' + config.sessionId + '/';

  var SEND_DEFAULTS = { markIsRead: true, waitForAck: true, delay: 0 };

  var state = {
    booted: false,
    loggedIn: false,
    mode: undefined, // StreamMode: QR, SYNCING, MAIN, OFFLINE
    me: null, // {wid, phone, pushName}
    authCode: null,
    qrImage: '',
    qrRefreshes: 0,
    idle: false,
    pairingCode: '',
    cursor: 0,
    deviceToken: '', // the link's credentials, kept in the profile's IndexedDB
    mainReadyFired: false,
    failingSince: 0, // when the app stopped answering the poll (0: it answers)
    blocked: /** @type {string[]} */ ([]), // WPP.blocklist.all(), loaded as the chats load
  };
  var listeners = {}; // event name → listeners (WPP.on and WPP.off, in wpp.js, keep it)
  /** @type {(value?: unknown) => void} */
  var bootDone; // called once by conn.js's boot: the page knows its login state
  var booted = new Promise(function (resolve) { bootDone = resolve; });

  // --- events (wa-js uses eventemitter2: on/off by name, listeners called with the payload) ---
  /**
   * A contract event with its payload as wa-js declares it.
   * @template {keyof ContractEvents} K
   * @param {K} name
   * @param {ContractEvents[K]} payload
   */
  function emit(name, payload) {
    emitRaw(name, payload);
  }

  // Any event, any payload: for the sandbox API's page-events (odd payloads are the point).
  function emitRaw(name, payload) {
    (listeners[name] || []).slice().forEach(function (listener) {
      try {
        listener(payload);
      } catch (err) {
        // One broken listener must not keep the others (the engine's bridge) from an event.
        console.error('WPP listener for ' + name + ' failed', err);
      }
    });
  }

  // --- wa-js value shapes ---------------------------------------------------------------------
  // wa-js errors are Errors with a `code` (WPPError), plus extra fields.
  function wppError(code, message, extra) {
    var err = /** @type {Error & {[field: string]: any}} */ (new Error(message || code));
    err.code = code;
    Object.keys(extra || {}).forEach(function (key) { err[key] = extra[key]; });
    return err;
  }

  function hidden(obj, name, fn) {
    Object.defineProperty(obj, name, { value: fn, enumerable: false });
  }

  // A Wid: enumerable {server, user, _serialized} like WhatsApp's, so JSON keeps those fields,
  // and its methods hidden so they don't end up in JSON.
  /** @returns {Wid} */
  function wid(serialized) {
    if (!serialized) return undefined;
    var at = serialized.indexOf('@');
    var obj = { server: serialized.slice(at + 1), user: serialized.slice(0, at), _serialized: serialized };
    hidden(obj, 'toString', function () { return serialized; });
    hidden(obj, 'equals', function (other) { return !!other && String(other._serialized || other) === serialized; });
    hidden(obj, 'isUser', function () { return obj.server === 'c.us'; });
    hidden(obj, 'isGroup', function () { return obj.server === 'g.us'; });
    hidden(obj, 'isLid', function () { return obj.server === 'lid'; });
    return /** @type {Wid} */ (/** @type {unknown} */ (obj));
  }

  /** @returns {MsgKey} */
  function msgKey(key) {
    var obj = { fromMe: key.fromMe, remote: wid(key.remote), id: key.id, _serialized: key._serialized };
    hidden(obj, 'toString', function () { return key._serialized; });
    return /** @type {MsgKey} */ (/** @type {unknown} */ (obj));
  }

  // The server sends Wids as strings; a MsgModel carries Wid objects.
  /** @returns {MsgModel} */
  function msgModel(data) {
    var msg = Object.assign({}, data, {
      id: msgKey(data.id),
      from: wid(data.from),
      to: wid(data.to),
      author: wid(data.author),
    });
    Object.keys(msg).forEach(function (key) { if (msg[key] === null) delete msg[key]; });
    return /** @type {MsgModel} */ (/** @type {unknown} */ (msg));
  }

  /** @returns {ContractEvents['chat.msg_ack_change']} */
  function ackPayload(data) {
    var payload = { ack: data.ack, chat: wid(data.chat), ids: data.ids.map(msgKey) };
    if (data.sender) payload.sender = wid(data.sender);
    return payload;
  }

  // WPP's createWid for chat ids: digits alone are a user; anything else must look like a Wid.
  function chatId(value) {
    var text = value && typeof value === 'object' ? value._serialized || String(value) : value;
    if (typeof text === 'string') {
      text = text.trim();
      if (/^\d+$/.test(text)) return text + '@c.us';
      if (/^[\w.:-]+@(c\.us|g\.us|lid|broadcast|newsletter)$/.test(text)) return text;
    }
    throw wppError('invalid_wid', 'Invalid WID value for ' + value, { id: value });
  }

  function localKey() {
    var bytes = new Uint8Array(8);
    crypto.getRandomValues(bytes);
    return '3EB0' + Array.prototype.map.call(bytes, function (b) {
      return ('0' + b.toString(16)).slice(-2);
    }).join('').toUpperCase();
  }

  function serializedId(id) {
    return id && typeof id === 'object' ? id._serialized || String(id) : String(id);
  }

  // --- the device token, stored like WhatsApp Web stores its credentials -------------------------
  // IndexedDB, not localStorage: Chromium writes localStorage to disk seconds later, so a
  // browser killed right after the scan would forget the link. A 'strict' transaction
  // completes only once the token is on disk.
  var tokenStore = {
    db: null,
    open: function () {
      if (this.db) return Promise.resolve(this.db);
      var self = this;
      return new Promise(function (resolve, reject) {
        var request = indexedDB.open('yesapp-sandbox', 1);
        request.onupgradeneeded = function () { request.result.createObjectStore('device'); };
        request.onsuccess = function () { self.db = request.result; resolve(self.db); };
        request.onerror = function () { reject(request.error); };
      });
    },
    run: function (mode, action) {
      return this.open().then(function (db) {
        return new Promise(function (resolve, reject) {
          var tx = db.transaction('device', mode, { durability: 'strict' });
          var request = action(tx.objectStore('device'));
          tx.oncomplete = function () { resolve(request.result); };
          tx.onerror = tx.onabort = function () { reject(tx.error); };
        });
      });
    },
    get: function () {
      return this.run('readonly', function (store) { return store.get(config.sessionId); })
        .then(function (value) { return value || ''; });
    },
    set: function (token) {
      return this.run('readwrite', function (store) { return store.put(token, config.sessionId); });
    },
    clear: function () {
      return this.run('readwrite', function (store) { return store.delete(config.sessionId); });
    },
  };

  function forgetToken() {
    state.deviceToken = '';
    return tokenStore.clear().catch(function (err) { console.error('could not clear the device token', err); });
  }

  // --- talking to the app ---------------------------------------------------------------------

  function linkRefs() {
    var refs = [];
    if (state.authCode) refs.push(state.authCode.ref);
    if (state.pairingCode) refs.push('code:' + state.pairingCode);
    return refs.join(',');
  }

  // Every call is bounded: a hung server must surface as an error, not a stuck promise.
  function pageHeaders() {
    /** @type {Record<string, string>} */
    var headers = {};
    headers[config.deviceHeader] = state.loggedIn ? state.deviceToken : '';
    headers[config.linkRefsHeader] = linkRefs();
    return headers;
  }

  function pageUrl(path) {
    var sep = path.indexOf('?') < 0 ? '?' : '&';
    return base + path + sep + 'token=' + encodeURIComponent(config.token);
  }

  function call(method, path, body, timeoutMs) {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, timeoutMs || 15000);
    var headers = pageHeaders();
    /** @type {RequestInit} */
    var init = { method: method, headers: headers, signal: controller.signal, cache: 'no-store' };
    if (body instanceof FormData) {
      init.body = body;
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(pageUrl(path), init).then(function (response) {
      clearTimeout(timer);
      return response;
    }, function (err) {
      clearTimeout(timer);
      throw wppError('network_error', 'The sandbox server did not answer: ' + err, {});
    });
  }

  function callJson(method, path, body, timeoutMs) {
    return call(method, path, body, timeoutMs).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok) return data;
        var error = data.error || {};
        throw wppError(error.code || 'http_' + response.status, error.message || response.statusText,
                       Object.assign({ status: response.status }, error.details || {}));
      });
    });
  }

  function sleep(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  // --- what every WPP function waits for ---------------------------------------------------------
  function requireLogin() {
    return booted.then(function () {
      if (!state.loggedIn) throw wppError('not_authenticated', 'The sandbox page is not logged in');
    });
  }

  function untilOnline() {
    // WhatsApp keeps a message on the clock until the connection is back.
    return state.mode === 'OFFLINE' ? sleep(100).then(untilOnline) : Promise.resolve();
  }

  return {
    config: config,
    state: state,
    listeners: listeners,
    booted: booted,
    bootDone: bootDone,
    SEND_DEFAULTS: SEND_DEFAULTS,
    emit: emit,
    emitRaw: emitRaw,
    wppError: wppError,
    wid: wid,
    msgKey: msgKey,
    msgModel: msgModel,
    ackPayload: ackPayload,
    chatId: chatId,
    serializedId: serializedId,
    localKey: localKey,
    tokenStore: tokenStore,
    forgetToken: forgetToken,
    pageHeaders: pageHeaders,
    pageUrl: pageUrl,
    call: call,
    callJson: callJson,
    sleep: sleep,
    requireLogin: requireLogin,
    untilOnline: untilOnline,
  };
})();
