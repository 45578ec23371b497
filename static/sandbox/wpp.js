// YesApp sandbox: a stand-in for WhatsApp Web + wa-js. It defines `window.WPP` with exactly
// the functions and events the engine uses (sessions_app/engine/wpp_contract.py), with the
// names, arguments and payload shapes of wa-js 4.6.0, and talks to the app (sandbox/views.py)
// through a long poll instead of WhatsApp's servers. No framework and no network beyond
// this app: the page must work on a machine without internet.
//
// tsc checks it (static/sandbox/tsconfig.json, `make lint`): the WPP object must satisfy `Pick`
// of wa-js's own namespaces for exactly the contract's functions (PageWPP), and every event is
// emitted with wa-js's declared payload type. The few casts below are where the sandbox builds
// WhatsApp's models (Wid, MsgKey, MsgModel) as plain objects with just the fields wa-js reads.
// @ts-check
(function () {
  'use strict';
  /** @typedef {import('@wppconnect/wa-js').whatsapp.Wid} Wid */
  /** @typedef {import('@wppconnect/wa-js').whatsapp.MsgKey} MsgKey */
  /** @typedef {import('@wppconnect/wa-js').whatsapp.MsgModel} MsgModel */
  /** @typedef {import('@wppconnect/wa-js').chat.SendMessageReturn} SendMessageReturn */
  /** @typedef {import('../../sessions_app/engine/page/wpp-contract').ContractEvents} ContractEvents */

  var config = JSON.parse(document.getElementById('sandbox-config').textContent);
  var base = '/sandbox/web/' + config.sessionId + '/';
  // Mode → StreamInfo, as WhatsApp Web reports them together.
  var STREAM_INFO = { MAIN: 'NORMAL', SYNCING: 'SYNCING', OFFLINE: 'OFFLINE' };
  var SEND_DEFAULTS = { markIsRead: true, waitForAck: true, delay: 0 };
  var SYNC_MS = 300; // how long "Loading your chats" lasts after a link or a reload
  var OFFLINE_AFTER_MS = 3000; // the app unreachable this long = WhatsApp unreachable

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
  var listeners = {};
  var qrTimer = null;
  var bootDone;
  var booted = new Promise(function (resolve) { bootDone = resolve; });

  // --- events (wa-js uses eventemitter2: on/off by name, listeners called with the payload) ---
  function on(name, listener) {
    (listeners[name] = listeners[name] || []).push(listener);
    return WPP;
  }

  function off(name, listener) {
    listeners[name] = (listeners[name] || []).filter(function (fn) { return fn !== listener; });
    return WPP;
  }

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

  // --- login state ----------------------------------------------------------------------------
  function setMode(mode) {
    if (state.mode === mode) return;
    state.mode = mode;
    render();
    emit('conn.stream_mode_changed', mode);
    // wa-js fires conn.main_ready once per page load, on the first MAIN *or* QR mode.
    if (!state.mainReadyFired && (mode === 'MAIN' || mode === 'QR')) {
      state.mainReadyFired = true;
      emit('conn.main_ready', undefined);
    }
  }

  function newQr() {
    return callJson('POST', 'qr', {}).then(function (data) {
      if (state.loggedIn) return null;
      state.authCode = data.authCode;
      state.qrImage = data.image;
      state.idle = false;
      render();
      repoll();
      emit('conn.auth_code_change', Object.assign({}, data.authCode));
      return Object.assign({}, data.authCode);
    });
  }

  // WhatsApp Web changes the QR every ~20 s and stops after a few codes nobody scanned.
  function scheduleQrRefresh() {
    clearTimeout(qrTimer);
    qrTimer = setTimeout(function () {
      if (state.loggedIn || state.idle) return;
      if (state.qrRefreshes >= config.qrMaxRefreshes) {
        state.idle = true;
        render();
        callJson('POST', 'qr', { idle: true }).catch(function () {});
        emit('conn.qrcode_idle', undefined);
        return;
      }
      state.qrRefreshes += 1;
      newQr().then(scheduleQrRefresh, scheduleQrRefresh);
    }, config.qrRefreshMs);
  }

  function showQr() {
    state.qrRefreshes = 0;
    return newQr().then(function (code) {
      setMode('QR');
      scheduleQrRefresh();
      return code;
    });
  }

  function linked(link) {
    clearTimeout(qrTimer);
    state.deviceToken = link.deviceToken;
    state.loggedIn = true;
    state.me = link.me;
    state.cursor = link.cursor;
    state.authCode = null;
    state.pairingCode = '';
    state.idle = false;
    render();
    emit('conn.auth_code_change', null);
    emit('conn.authenticated', undefined);
    syncThenMain();
  }

  function syncThenMain() {
    setMode('SYNCING');
    // WhatsApp Web loads the blocklist with the chats: it answers synchronously afterwards.
    var blocklist = callJson('GET', 'blocklist').then(function (data) { state.blocked = data.ids; },
      function (err) { console.error('no blocklist', err); });
    setTimeout(function () {
      blocklist.then(function () {
        if (state.loggedIn && state.mode === 'SYNCING') setMode('MAIN');
      });
    }, SYNC_MS);
  }

  function loggedOut() {
    forgetToken();
    state.loggedIn = false;
    state.me = null;
    render();
    emit('conn.logout', undefined);
    return showQr().catch(function (err) { console.error('no QR after logout', err); });
  }

  // --- the poll loop ----------------------------------------------------------------------------
  function dispatch(event) {
    if (event.raw) {
      logLine('⚙ ' + event.name);
      emitRaw(event.name, event.data); // exactly as given: odd payloads are the point
    } else if (event.name === 'chat.new_message') {
      var msg = msgModel(event.data);
      logLine('← ' + (msg.notifyName || msg.from.user) + ': ' + describe(msg));
      emit('chat.new_message', msg);
    } else if (event.name === 'chat.msg_ack_change') {
      logLine('✓ ' + ackName(event.data.ack) + ' ' + event.data.ids[0].id);
      emit('chat.msg_ack_change', ackPayload(event.data));
    } else if (event.action) {
      logLine('↺ ' + event.name + ' ' + (event.data.reactionText || event.data.action || ''));
      emitAction(event.name, event.data);
    }
  }

  // A contact's reaction, revoke, edit or vote (sandbox/actions.py), with Wid and MsgKey objects; a
  // change of a group's members (sandbox/groups.py); a call ringing (sandbox/calls.py).
  function emitAction(name, data) {
    if (name === 'chat.new_reaction') {
      emit('chat.new_reaction', {
        id: msgKey(data.id), msgId: msgKey(data.msgId), reactionText: data.reactionText, read: data.read,
        sender: wid(data.sender), orphan: data.orphan, orphanReason: data.orphanReason, timestamp: data.timestamp,
      });
    } else if (name === 'chat.msg_revoke') {
      emit('chat.msg_revoke', {
        author: wid(data.author), from: wid(data.from), id: msgKey(data.id), refId: msgKey(data.refId),
        to: wid(data.to), type: data.type,
      });
    } else if (name === 'chat.msg_edited') {
      emit('chat.msg_edited', { chat: wid(data.chat), id: data.id, msg: msgModel(data.msg) });
    } else if (name === 'group.participant_changed') {
      // wa-js gives ids here as strings.
      emit('group.participant_changed', data);
    } else if (name === 'call.incoming_call') {
      emit('call.incoming_call', {
        id: data.id, isGroup: data.isGroup, isVideo: data.isVideo, offerTime: data.offerTime,
        sender: wid(data.sender), peerJid: wid(data.peerJid),
      });
    } else if (name === 'chat.presence_change') {
      emit('chat.presence_change', Object.assign({}, data, { id: wid(data.id) }));
    } else if (name === 'chat.poll_response') {
      // As wa-js 4.6 really fires it (its .d.ts says number[]): the chosen poll options, each
      // at its localId in a sparse array.
      var chosen = [];
      data.selectedOptions.forEach(function (option) { chosen[option.localId] = option; });
      emit('chat.poll_response', {
        msgId: msgKey(data.msgId), chatId: wid(data.chatId), timestamp: data.timestamp, sender: wid(data.sender),
        selectedOptions: /** @type {number[]} */ (/** @type {unknown} */ (chosen)),
      });
    }
  }

  var restartPoll = function () {};

  // The QR or pairing code the page shows changed: the poll in flight sent the old ones (the app
  // hands the link only to a page that shows the code used), so it starts again with the new.
  function repoll() {
    restartPoll();
  }

  // The long poll (sandbox/page_poll.py): the app answers as soon as there is news for the page,
  // or empty after config.longPollSeconds. Bounded here too, body included (it streams).
  function longPoll() {
    var controller = new AbortController();
    var restarted = false;
    var timer = setTimeout(function () { controller.abort(); }, (Math.max(0, config.longPollSeconds) + 15) * 1000);
    restartPoll = function () {
      restarted = true;
      controller.abort();
    };
    var path = 'events?after=' + state.cursor + '&wait=' + config.longPollSeconds +
      '&offline=' + (state.mode === 'OFFLINE' ? '1' : '0');
    /** @type {RequestInit} */
    var init = { method: 'GET', headers: pageHeaders(), signal: controller.signal, cache: 'no-store' };
    return fetch(pageUrl(path), init).then(function (response) {
      return response.json().then(function (data) {
        clearTimeout(timer);
        var error = data.error || (response.ok ? null : { message: response.statusText });
        if (error) throw wppError(error.code || 'http_' + response.status, error.message, {});
        return data;
      });
    }).catch(function (err) {
      clearTimeout(timer);
      if (restarted) return null; // no answer: the loop asks again at once
      if (err && err.code && err.code !== 'network_error') throw err;
      throw wppError('network_error', 'The sandbox server did not answer: ' + err, {});
    });
  }

  function pollOnce() {
    return longPoll().then(function (reply) {
      state.failingSince = 0;
      if (!reply) return;
      if (!state.loggedIn) {
        // Logged in only once the token is stored: "connected" must survive a browser crash.
        if (reply.link) {
          return tokenStore.set(reply.link.deviceToken).catch(function (err) {
            console.error('could not store the device token; the link will not survive a restart', err);
          }).then(function () { linked(reply.link); });
        }
        return;
      }
      if (reply.auth === 'invalid') return loggedOut(); // the phone removed this device
      if (reply.offline) {
        setMode('OFFLINE');
      } else if (state.mode === 'OFFLINE') {
        setMode('MAIN');
      }
      reply.events.forEach(function (event) {
        state.cursor = event.cursor;
        dispatch(event);
      });
      state.cursor = Math.max(state.cursor, reply.cursor);
    }, function (err) {
      // The app is down (a restart): for the page that is WhatsApp being unreachable.
      state.failingSince = state.failingSince || Date.now();
      if (state.loggedIn && Date.now() - state.failingSince > OFFLINE_AFTER_MS) setMode('OFFLINE');
      throw err;
    });
  }

  // One long poll after another; after a failure, a pause of config.pollMs first.
  function pollLoop() {
    // Every poll is a resource timing entry the page keeps (up to 250, then new ones are
    // dropped): nothing here reads them, and a page that keeps what it does not need hides
    // the engine's own growth in the soak (bench/soak_bench.py).
    performance.clearResourceTimings();
    pollOnce().then(function () {
      setTimeout(pollLoop, config.longPollSeconds > 0 ? 0 : config.pollMs); // 0: short polls
    }, function (err) {
      if (err && err.code !== 'network_error') console.error('sandbox poll failed', err);
      setTimeout(pollLoop, config.pollMs);
    });
  }

  function boot() {
    return tokenStore.get().catch(function (err) {
      console.error('IndexedDB is not available; links will not survive a reload', err);
      return '';
    }).then(function (stored) {
      state.deviceToken = stored;
      return callJson('POST', 'hello', { deviceToken: stored });
    }).then(function (hello) {
      state.cursor = hello.cursor;
      WPP.isInjected = WPP.isReady = WPP.isFullReady = true;
      state.booted = true;
      bootDone();
      if (hello.loggedIn) {
        // Like wa-js on a reload with a linked profile: no conn.authenticated, just the stream.
        state.loggedIn = true;
        state.me = hello.me;
        if (hello.offline) setMode('OFFLINE');
        else syncThenMain();
        return;
      }
      if (state.deviceToken) {
        // Unlinked while the browser was closed: WhatsApp tells the device it is logged out.
        forgetToken();
        emit('conn.logout', undefined);
      }
      return showQr();
    }).then(pollLoop, function (err) {
      console.error('sandbox boot failed; retrying', err);
      setTimeout(boot, 1000);
    });
  }

  // --- the WPP functions -------------------------------------------------------------------------
  function requireLogin() {
    return booted.then(function () {
      if (!state.loggedIn) throw wppError('not_authenticated', 'The sandbox page is not logged in');
    });
  }

  function untilOnline() {
    // WhatsApp keeps a message on the clock until the connection is back.
    return state.mode === 'OFFLINE' ? sleep(100).then(untilOnline) : Promise.resolve();
  }

  // What wa-js does around one send: chat.new_message (ack 0) as the message is added, then
  // msg_ack_change to 1 when the server has it, then the result.
  function finishSend(data, options, to, withFromTo) {
    var msg = msgModel(data.msg);
    var id = msg.id._serialized;
    logLine('→ ' + msg.to.user + ': ' + describe(msg));
    emit('chat.new_message', Object.assign({}, msg, { ack: 0 }));
    emit('chat.msg_ack_change', { ack: 1, chat: wid(to), ids: [msgKey(data.msg.id)] });
    /** @type {SendMessageReturn} */
    var result = { id: id, ack: 1, sendMsgResult: options.waitForAck ? sendVerdict('OK', msg.t) : null };
    if (withFromTo) {
      result.from = msg.from._serialized;
      result.to = to;
    }
    return result;
  }

  /**
   * WhatsApp's verdict on a send (wa-js's SendMsgResultObject): one of its enum's values.
   * @param {`${import('@wppconnect/wa-js').whatsapp.enums.SendMsgResult}`} verdict
   * @param {number} [t]
   * @returns {import('@wppconnect/wa-js').whatsapp.SendMsgResultObject}
   */
  function sendVerdict(verdict, t) {
    // WhatsApp leaves `t` out of a failed send's result.
    var result = t === undefined ? { messageSendResult: verdict } : { messageSendResult: verdict, t: t };
    return /** @type {import('@wppconnect/wa-js').whatsapp.SendMsgResultObject} */ (/** @type {unknown} */ (result));
  }

  /** @returns {SendMessageReturn} */
  function failedSend(err, options, to) {
    // WhatsApp reports an undeliverable message in the send result, not as an exception.
    if (err.code !== 'invalid_recipient') throw err;
    return {
      id: 'true_' + to + '_' + localKey(),
      ack: -1,
      sendMsgResult: options.waitForAck ? sendVerdict('ERROR_UNKNOWN') : null,
    };
  }

  // wa-js takes `quotedMsg` as a serialized id, a MsgKey or a MsgModel.
  function quotedId(quoted) {
    if (!quoted) return '';
    if (typeof quoted === 'string') return quoted;
    if (quoted._serialized) return String(quoted._serialized);
    return quoted.id && quoted.id._serialized ? String(quoted.id._serialized) : String(quoted);
  }

  // wa-js prepareRawMessage: `mentionedList` must be an array of user Wids.
  function mentionedIds(options) {
    var list = options.mentionedList;
    if (list === undefined || list === null) return [];
    if (!Array.isArray(list)) {
      throw wppError('mentioned_list_is_not_array', 'The option mentionedList is not an array',
                     { mentionedList: list });
    }
    return list.map(function (item) {
      var id = chatId(item);
      if (!/@(c\.us|lid)$/.test(id)) {
        throw wppError('mentioned_is_not_user', 'Mentioned is not an user', { mentionedId: id });
      }
      return id;
    });
  }

  // A send the server takes as JSON: text, a location, contact cards, a poll.
  function sendJson(chat, body, options) {
    options = Object.assign({}, SEND_DEFAULTS, options || {});
    var to;
    return Promise.resolve().then(function () {
      to = chatId(chat);
      body = Object.assign({ mentionedList: mentionedIds(options), detectMentioned: options.detectMentioned !== false },
                           body);
      return requireLogin();
    }).then(function () {
      return sleep(options.delay || 0);
    }).then(untilOnline).then(function () {
      return callJson('POST', 'send', Object.assign({ chatId: to, markIsRead: !!options.markIsRead,
                                                      quotedMsg: quotedId(options.quotedMsg),
                                                      cursor: state.cursor }, body));
    }).then(function (data) {
      return finishSend(data, options, to, true);
    }, function (err) {
      return failedSend(err, options, to);
    });
  }

  // `linkPreview` (default on): WhatsApp Web fetches a preview of the text's first link.
  function sendTextMessage(chat, content, options) {
    var preview = !options || options.linkPreview === undefined ? true : !!options.linkPreview;
    return sendJson(chat, { text: String(content), linkPreview: preview }, options);
  }

  // WPP.chat.sendLocationMessage(chatId, {lat, lng, name?, address?, ...SendMessageOptions}).
  function sendLocationMessage(chat, options) {
    return sendJson(chat, { type: 'location', lat: options.lat, lng: options.lng, name: options.name || '',
                            address: options.address || '' }, options);
  }

  // WPP.chat.sendVCardContactMessage(chatId, contact | contacts): ids (or {id, name}); WhatsApp
  // builds each vCard from the id and name.
  function sendVCardContactMessage(chat, contacts, options) {
    var list = (Array.isArray(contacts) ? contacts : [contacts]).map(function (contact) {
      if (contact && typeof contact === 'object' && 'name' in contact) {
        return { id: String(contact.id), name: contact.name };
      }
      return { id: String(contact), name: '' };
    });
    return sendJson(chat, { type: 'vcard', contacts: list }, options);
  }

  // WPP.chat.sendCreatePollMessage(chatId, name, choices, {selectableCount}): 0 = any number.
  function sendCreatePollMessage(chat, name, choices, options) {
    return sendJson(chat, { type: 'poll_creation', name: name, choices: choices,
                            selectableCount: (options && options.selectableCount) || 0 }, options);
  }

  // WPP.chat.forwardMessages(chatId, msgIds): each copy arrives like a send (chat.new_message,
  // ack 1); the answer lists the messages that could not be forwarded ([] = all went).
  function forwardMessages(chat, msgIds, options) {
    var to;
    return Promise.resolve().then(function () {
      to = chatId(chat);
      return requireLogin();
    }).then(untilOnline).then(function () {
      var ids = (Array.isArray(msgIds) ? msgIds : [msgIds]).map(serializedId);
      return callJson('POST', 'forward', { chatId: to, msgIds: ids, options: options || {} });
    }).then(function (data) {
      data.msgs.forEach(function (msg) { finishSend({ msg: msg }, { waitForAck: false }, to, false); });
      return data.failed;
    });
  }

  function parseDataUrl(text) {
    var match = /^data:([^;,]*)((?:;[^;,]*)*?),(.*)$/s.exec(text);
    if (!match) return null;
    var isBase64 = /;base64/.test(match[2]);
    var raw = isBase64 ? atob(match[3]) : decodeURIComponent(match[3]);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return { mimetype: match[1], bytes: bytes };
  }

  // wa-js convertToFile: a Blob/File as is, a URL fetched, a data URL or bare base64 decoded.
  function toBlob(content, mimetype) {
    if (content instanceof Blob) return Promise.resolve(content);
    if (typeof content !== 'string') return Promise.reject(wppError('invalid_data_url', 'invalid_data_url'));
    if (/^https?:\/\//.test(content)) {
      return fetch(content).then(function (response) { return response.blob(); });
    }
    var parsed = null;
    try {
      parsed = parseDataUrl(content) ||
        (/^[A-Za-z0-9+/=\s]+$/.test(content) ? parseDataUrl('data:;base64,' + content.replace(/\s/g, '')) : null);
    } catch (err) {
      parsed = null; // atob refused it: not base64 after all
    }
    if (!parsed) return Promise.reject(wppError('invalid_data_url', 'invalid_data_url'));
    return Promise.resolve(new Blob([parsed.bytes], { type: mimetype || parsed.mimetype || '' }));
  }

  function sendFileMessage(chat, content, options) {
    options = Object.assign({}, SEND_DEFAULTS, { type: 'auto-detect' }, options || {});
    var to;
    return Promise.resolve().then(function () {
      to = chatId(chat);
      return requireLogin();
    }).then(function () {
      return toBlob(content, options.mimetype);
    }).then(function (blob) {
      if (blob.size > config.mediaMaxBytes) {
        throw wppError('file_too_large', 'File size ' + blob.size + ' exceeds the upload limit of ' +
                       config.mediaMaxBytes, { fileSize: blob.size, limit: config.mediaMaxBytes,
                                               mediaType: options.type });
      }
      var form = new FormData();
      form.append('chatId', to);
      form.append('type', options.type || 'auto-detect');
      form.append('caption', options.caption || '');
      form.append('filename', options.filename || (blob instanceof File ? blob.name : ''));
      form.append('mimetype', options.mimetype || blob.type || '');
      form.append('isPtt', options.isPtt ? 'true' : 'false');
      // wa-js draws a voice note's bars (prepareAudioWaveform) unless `waveform: false`.
      form.append('waveform', options.isPtt && /** @type {any} */ (options).waveform !== false ? 'true' : 'false');
      form.append('quotedMsg', quotedId(options.quotedMsg));
      form.append('mentionedList', JSON.stringify(mentionedIds(options)));
      form.append('markIsRead', options.markIsRead ? 'true' : 'false');
      form.append('cursor', String(state.cursor)); // what this page has received, for markIsRead
      form.append('file', blob, 'upload');
      return sleep(options.delay || 0).then(untilOnline).then(function () {
        return callJson('POST', 'send', form, 120000);
      });
    }).then(function (data) {
      return finishSend(data, options, to, false);
    }, function (err) {
      if (err.code === 'payload_too_large') {
        throw wppError('file_too_large', err.message, { fileSize: err.size, limit: err.limit,
                                                         mediaType: options.type });
      }
      return failedSend(err, options, to);
    });
  }

  function downloadMedia(id) {
    var serialized = id && typeof id === 'object' ? id._serialized || String(id) : String(id);
    return requireLogin().then(function () {
      return call('GET', 'media/' + encodeURIComponent(serialized), undefined, 120000);
    }).then(function (response) {
      if (response.ok) return response.blob();
      return response.json().catch(function () { return {}; }).then(function (data) {
        var error = data.error || {};
        throw wppError(error.code || 'msg_not_found', error.message || 'Message ' + serialized + ' not found',
                       { id: serialized });
      });
    });
  }

  function markIsRead(chat) {
    var to;
    return Promise.resolve().then(function () {
      to = chatId(chat);
      return requireLogin();
    }).then(function () {
      return callJson('POST', 'read', { chatId: to, cursor: state.cursor });
    }).then(function (data) {
      return { wid: wid(to), unreadCount: data.unreadCount };
    });
  }

  // WPP.chat.list(options): ChatModels (here their `id`, `t` and `unreadCount`), most
  // recently active first; `count` bounds how many.
  function listChats(options) {
    options = options || {};
    return requireLogin().then(function () {
      var count = typeof options.count === 'number' ? options.count : -1;
      return callJson('GET', 'chats?count=' + encodeURIComponent(count));
    }).then(function (data) {
      return data.chats.map(function (chat) {
        return {
          id: wid(chat.id), t: chat.t, unreadCount: chat.unreadCount, name: chat.name || undefined,
          archive: chat.archive, pin: chat.pin, muteExpiration: chat.muteExpiration,
        };
      });
    });
  }

  // WPP.chat.getMessages(chatId, {count}): RawMessages, oldest first; count -1 = all.
  function getMessages(chat, options) {
    options = options || {};
    var id;
    return Promise.resolve().then(function () {
      id = chatId(chat);
      return requireLogin();
    }).then(function () {
      var count = typeof options.count === 'number' ? options.count : 20;
      return callJson('GET', 'messages?chatId=' + encodeURIComponent(id) + '&count=' + encodeURIComponent(count));
    }).then(function (data) {
      return data.messages.map(msgModel);
    });
  }

  function queryWidExists(id) {
    var value;
    return Promise.resolve().then(function () {
      value = chatId(id);
      return booted;
    }).then(function () {
      return callJson('POST', 'exists', { id: value });
    }).then(function (data) {
      if (!data.wid) return null;
      return data.lid ? { wid: wid(data.wid), biz: false, lid: wid(data.lid) } : { wid: wid(data.wid), biz: false };
    });
  }

  // WPP.contact.getPnLidEntry(id): the phone number and lid of one person, each only when
  // WhatsApp Web knows it (PnLidWid objects are Wid-shaped: user → id).
  function getPnLidEntry(id) {
    var value;
    return Promise.resolve().then(function () {
      value = chatId(id);
      return booted;
    }).then(function () {
      return callJson('POST', 'pn-lid', { id: value });
    }).then(function (data) {
      /** @type {import('@wppconnect/wa-js').contact.PnLidEntryResult} */
      var entry = {};
      if (data.lid) entry.lid = pnLidWid(data.lid);
      if (data.phone) entry.phoneNumber = pnLidWid(data.phone);
      return entry;
    });
  }

  // WPP.contact.list(): ContactModels (here id, name, pushname, isBusiness, isMyContact).
  function listContacts() {
    return requireLogin().then(function () {
      return callJson('GET', 'contacts');
    }).then(function (data) {
      return data.contacts.map(contactModel);
    });
  }

  /** @returns {any} a ContactModel's fields the engine reads, not the whole model */
  function contactModel(data) {
    return { id: wid(data.id), name: data.name || undefined, pushname: data.pushname || undefined,
             isBusiness: data.isBusiness, isMyContact: data.isMyContact };
  }

  // One GET answers WPP.contact.get, getStatus and getProfilePictureUrl for a person.
  function contactInfo(id) {
    var value;
    return Promise.resolve().then(function () {
      value = serializedId(id);
      return requireLogin();
    }).then(function () {
      return callJson('GET', 'contact?id=' + encodeURIComponent(value));
    });
  }

  function getContact(id) {
    return contactInfo(id).then(function (data) { return data.contact ? contactModel(data.contact) : undefined; });
  }

  function getStatus(id) {
    return contactInfo(id).then(function (data) { return data.contact ? data.status : null; });
  }

  function getProfilePictureUrl(id, full) {
    return contactInfo(id).then(function (data) { return data.contact ? data.pictureUrl : undefined; });
  }

  // WPP.blocklist: all() and isBlocked() answer from what the page holds; block calls go out.
  function setBlocked(block) {
    return function (chat) {
      var value;
      return Promise.resolve().then(function () {
        value = serializedId(chat);
        return requireLogin();
      }).then(function () {
        return callJson('POST', 'block', { id: value, block: block });
      }).then(function (data) {
        state.blocked = data.all;
        logLine((block ? '⊘ blocked ' : '○ unblocked ') + data.id);
        return { wid: wid(data.id), isBlocked: data.isBlocked };
      });
    };
  }

  function isBlocked(chat) {
    return state.blocked.indexOf(serializedId(chat)) >= 0;
  }

  function pnLidWid(serialized) {
    var at = serialized.indexOf('@');
    return { id: serialized.slice(0, at), server: serialized.slice(at + 1), _serialized: serialized };
  }

  function serializedId(id) {
    return id && typeof id === 'object' ? id._serialized || String(id) : String(id);
  }

  // WPP.chat.sendReactionToMessage(msgId, emoji | false): false or '' removes ours.
  function sendReactionToMessage(messageId, reaction) {
    var id = serializedId(messageId);
    return requireLogin().then(untilOnline).then(function () {
      return callJson('POST', 'react', { msgId: id, emoji: reaction || '' });
    }).then(function (data) {
      logLine('☺ ' + (reaction || 'removed') + ' on ' + id);
      return { sendMsgResult: String(data.sendMsgResult) };
    });
  }

  // WPP.chat.deleteMessage(chatId, ids, deleteMediaInDevice, revoke): one answer per id, and
  // a single one for a single id. Revoking a contact's message deletes it locally instead.
  function deleteMessage(chat, ids, deleteMediaInDevice, revoke) {
    var single = !Array.isArray(ids);
    var list = single ? [ids] : ids;
    return Promise.resolve().then(function () {
      chatId(chat);
      return requireLogin();
    }).then(untilOnline).then(function () {
      return Promise.all(list.map(function (id) {
        return callJson('POST', 'delete', { msgId: serializedId(id), revoke: !!revoke });
      }));
    }).then(function (answers) {
      answers.forEach(function (answer) {
        logLine((answer.isRevoked ? '⌫ deleted for everyone ' : '⌫ deleted here ') + answer.id);
      });
      var typed = /** @type {import('@wppconnect/wa-js').chat.DeleteMessageReturn[]} */ (answers);
      return single ? typed[0] : typed;
    });
  }

  // WPP.chat.editMessage(msgId, newText, options): WhatsApp Web fires chat.msg_edited for its
  // own edits too (MsgStore change:latestEditMsgKey).
  function editMessage(msgId, newText, options) {
    options = Object.assign({}, SEND_DEFAULTS, options || {});
    var id = serializedId(msgId);
    return requireLogin().then(untilOnline).then(function () {
      return callJson('POST', 'edit', { msgId: id, text: String(newText).trim() });
    }).then(function (data) {
      var msg = msgModel(data.msg);
      logLine('✎ ' + id + ': ' + msg.body);
      emit('chat.msg_edited', { chat: msg.to, id: id, msg: msg });
      /** @type {SendMessageReturn} */
      var result = {
        id: 'true_' + msg.id.remote._serialized + '_' + localKey(),
        ack: 1,
        sendMsgResult: options.waitForAck ? sendVerdict('OK', Math.floor(Date.now() / 1000)) : null,
      };
      return result;
    });
  }

  // WPP.chat.markIsComposing / markIsRecording (with a duration, paused once it passed) and
  // markIsPaused: what the contact sees in the chat.
  function presence(state) {
    return function (chat, duration) {
      var to;
      return Promise.resolve().then(function () {
        to = chatId(chat);
        return requireLogin();
      }).then(function () {
        return callJson('POST', 'presence', { chatId: to, state: state });
      }).then(function () {
        logLine('… ' + state + ' in ' + to);
        if (state !== 'paused' && duration) {
          return sleep(duration).then(function () { return presence('paused')(to); });
        }
      });
    };
  }

  // WPP.chat.find: the chat, made when WhatsApp Web has none yet (a first message), so that
  // markIsComposing can show typing in it. Only the id of the ChatModel is filled in.
  function findChat(chat) {
    return Promise.resolve().then(function () {
      return requireLogin();
    }).then(function () {
      return callJson('POST', 'find-chat', { chatId: chatId(chat) });
    }).then(function (data) {
      var model = { id: wid(data.id) };
      return /** @type {import('@wppconnect/wa-js').whatsapp.ChatModel} */ (/** @type {unknown} */ (model));
    });
  }

  // --- WPP.group.* and WPP.call.reject: the sandbox's groups (sandbox/group_page.py) -----------
  function groupCall(op, args) {
    return requireLogin().then(function () {
      return callJson('POST', 'group', { op: op, args: args });
    }).then(function (data) { return data.value; });
  }

  function idList(ids) {
    return (Array.isArray(ids) ? ids : [ids]).map(chatId);
  }

  // getAllGroups: ChatModels with their GroupMetadata (only the fields the engine reads).
  function getAllGroups() {
    return groupCall('getAllGroups', {}).then(function (groups) {
      return groups.map(function (group) {
        var chat = {
          id: wid(group.id), isGroup: true, name: group.subject, formattedTitle: group.subject,
          groupMetadata: { id: wid(group.id), subject: group.subject, desc: group.description,
                           owner: wid(group.owner), announce: group.announce, restrict: group.restrict,
                           creation: group.creation, memberAddMode: group.memberAddMode,
                           membershipApprovalMode: group.membershipApprovalMode },
        };
        return /** @type {import('@wppconnect/wa-js').whatsapp.ChatModel} */ (/** @type {unknown} */ (chat));
      });
    });
  }

  // getParticipants: ParticipantModels {id, isAdmin, isSuperAdmin}; group_not_exist otherwise.
  function getParticipants(groupId) {
    var id;
    return Promise.resolve().then(function () {
      id = chatId(groupId);
      return groupCall('getAllGroups', {});
    }).then(function (groups) {
      var group = groups.filter(function (g) { return g.id === id; })[0];
      if (!group) throw wppError('group_not_exist', 'Group ' + id + ' does not exist', { groupId: id });
      return group.participants.map(function (p) {
        var model = { id: wid(p.id), isAdmin: p.isAdmin, isSuperAdmin: p.isSuperAdmin };
        return /** @type {import('@wppconnect/wa-js').whatsapp.ParticipantModel} */ (/** @type {unknown} */ (model));
      });
    });
  }

  function createGroup(groupName, participantsIds) {
    return Promise.resolve().then(function () {
      return groupCall('create', { subject: groupName, ids: idList(participantsIds) });
    }).then(function (data) {
      logLine('👥 created ' + groupName);
      return { gid: wid(data.gid), participants: data.participants };
    });
  }

  function changeMembers(op) {
    return function (groupId, participantsIds) {
      return Promise.resolve().then(function () {
        return groupCall(op, { groupId: chatId(groupId), ids: idList(participantsIds) });
      }).then(function (results) {
        logLine('👥 ' + op + ' in ' + groupId);
        return /** @type {any} */ (op === 'add' ? results : undefined);
      });
    };
  }

  function setGroup(field) {
    return function (groupId, value) {
      return Promise.resolve().then(function () {
        return groupCall('set', { groupId: chatId(groupId), field: field, value: value });
      });
    };
  }

  function setProperty(groupId, property, value) {
    return Promise.resolve().then(function () {
      return groupCall('set', { groupId: chatId(groupId), field: String(property), value: !!value });
    });
  }

  function inviteCode(op) {
    return function (groupId) {
      return Promise.resolve().then(function () { return groupCall(op, { groupId: chatId(groupId) }); });
    };
  }

  function joinGroup(code) {
    return groupCall('join', { code: String(code || '') });
  }

  function leaveGroup(groupId) {
    return Promise.resolve().then(function () {
      return groupCall('leave', { groupId: chatId(groupId) });
    }).then(function () { return undefined; });
  }

  function rejectCall(callId) {
    return requireLogin().then(function () {
      return callJson('POST', 'call-reject', { callId: callId || '' });
    }).then(function (data) {
      logLine('☎ rejected ' + (callId || 'the call'));
      return !!data.value;
    });
  }

  function blobToBase64(blob) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onloadend = function () { resolve(reader.result); };
      reader.onabort = reject;
      reader.onerror = reject;
      reader.readAsDataURL(blob);
    });
  }

  /** @satisfies {SandboxWPP} */
  var WPP = {
    version: '4.6.0-yesapp-sandbox',
    isInjected: /** @type {boolean} */ (false),
    isReady: /** @type {boolean} */ (false),
    isFullReady: /** @type {boolean} */ (false),
    on: on,
    off: off,
    conn: {
      getAuthCode: function () {
        return booted.then(function () {
          return state.loggedIn || !state.authCode ? null : Object.assign({}, state.authCode);
        });
      },
      refreshQR: function () {
        return booted.then(function () {
          return state.loggedIn ? null : showQr();
        });
      },
      isAuthenticated: function () { return state.loggedIn; },
      isRegistered: function () { return state.loggedIn; },
      isMainReady: function () { return state.mainReadyFired; },
      getStreamData: function () { return { mode: state.mode, info: STREAM_INFO[state.mode] }; },
      getMyUserId: function () { return state.loggedIn && state.me ? wid(state.me.wid) : undefined; },
      logout: function () {
        return booted.then(function () {
          if (!state.loggedIn) return false;
          return callJson('POST', 'logout', {}).then(function () {
            return loggedOut();
          }).then(function () { return true; });
        });
      },
      genLinkDeviceCodeForPhoneNumber: function (phone, sendPushNotification) {
        if (!phone || typeof phone !== 'string') {
          return Promise.reject(wppError('send_the_phone_number_to_connect',
                                         "Can't get code for without phone number param"));
        }
        return booted.then(function () {
          if (state.loggedIn) {
            throw wppError('cannot_get_code_for_already_authenticated',
                           "Can't get code for already authenticated user");
          }
          return callJson('POST', 'pairing-code', { phone: phone });
        }).then(function (data) {
          state.pairingCode = data.code;
          render();
          repoll();
          return data.code;
        });
      },
    },
    chat: {
      sendTextMessage: sendTextMessage,
      sendFileMessage: sendFileMessage,
      downloadMedia: downloadMedia,
      markIsRead: markIsRead,
      list: listChats,
      getMessages: getMessages,
      sendReactionToMessage: sendReactionToMessage,
      deleteMessage: deleteMessage,
      editMessage: editMessage,
      markIsComposing: presence('typing'),
      markIsRecording: presence('recording'),
      markIsPaused: presence('paused'),
      find: findChat,
      sendLocationMessage: sendLocationMessage,
      sendVCardContactMessage: sendVCardContactMessage,
      sendCreatePollMessage: sendCreatePollMessage,
      forwardMessages: forwardMessages,
    },
    contact: {
      queryWidExists: queryWidExists,
      getPnLidEntry: getPnLidEntry,
      list: listContacts,
      get: getContact,
      getStatus: getStatus,
      getProfilePictureUrl: getProfilePictureUrl,
    },
    blocklist: {
      all: function () { return state.blocked.map(wid); },
      isBlocked: isBlocked,
      blockContact: setBlocked(true),
      unblockContact: setBlocked(false),
    },
    group: {
      create: createGroup,
      getAllGroups: getAllGroups,
      getParticipants: getParticipants,
      addParticipants: changeMembers('add'),
      removeParticipants: changeMembers('remove'),
      promoteParticipants: changeMembers('promote'),
      demoteParticipants: changeMembers('demote'),
      setSubject: setGroup('subject'),
      setDescription: setGroup('description'),
      setProperty: setProperty,
      getInviteCode: inviteCode('getInviteCode'),
      revokeInviteCode: inviteCode('revokeInviteCode'),
      join: joinGroup,
      leave: leaveGroup,
    },
    call: { reject: rejectCall },
    util: { blobToBase64: blobToBase64 },
  };
  window.WPP = WPP;

  // --- what a person sees ---------------------------------------------------------------------------
  function describe(msg) {
    var quote = (msg.isForwarded ? '⇒ ' : '') + (msg.quotedStanzaID ? '↩ ' : '');
    if (msg.type === 'chat') return quote + msg.body;
    if (msg.type === 'location') return quote + '[location ' + msg.lat + ',' + msg.lng + ']';
    if (msg.type === 'vcard' || msg.type === 'multi_vcard') {
      return quote + '[contact ' + (msg.vcardFormattedName || (msg.vcardList || []).length) + ']';
    }
    if (msg.type === 'poll_creation') return quote + '[poll ' + msg.pollName + ']';
    return '[' + msg.type + (msg.filename ? ' ' + msg.filename : '') + ']' + (msg.caption ? ' ' + msg.caption : '');
  }

  function ackName(ack) {
    return { 1: 'sent', 2: 'delivered', 3: 'read', 4: 'played' }[ack] || String(ack);
  }

  function logLine(text) {
    var list = document.getElementById('log');
    if (!list) return;
    var item = document.createElement('li');
    item.textContent = new Date().toLocaleTimeString() + '  ' + text;
    list.insertBefore(item, list.firstChild);
    while (list.children.length > 30) list.removeChild(list.lastChild);
  }

  function render() {
    var status = document.getElementById('status');
    if (!status) return;
    var qr = /** @type {HTMLImageElement} */ (document.getElementById('qr'));
    var reload = document.getElementById('qr-reload');
    var pairing = document.getElementById('pairing');
    var hint = document.getElementById('hint');
    var showingQr = !state.loggedIn && !!state.authCode;
    qr.hidden = !showingQr || state.idle;
    if (showingQr && qr.src !== state.qrImage) qr.src = state.qrImage;
    reload.hidden = state.loggedIn || !state.idle;
    pairing.hidden = state.loggedIn || !state.pairingCode;
    pairing.textContent = state.pairingCode.replace(/^(.{4})/, '$1-');
    hint.textContent = state.loggedIn ? '' :
      'Scan it with the sandbox phone: POST /api/v1/sandbox/sessions/' + config.sessionId + '/link';
    var me = state.me ? state.me.phone + (state.me.pushName ? ' (' + state.me.pushName + ')' : '') : '';
    var text;
    if (!state.booted) text = 'Loading…';
    else if (!state.loggedIn) text = state.idle ? 'The QR code expired' : 'Waiting for a scan';
    else if (state.mode === 'OFFLINE') text = 'Offline: the phone is not reachable · ' + me;
    else if (state.mode === 'SYNCING') text = 'Loading your chats… · ' + me;
    else text = 'Connected as ' + me;
    status.textContent = text;
    document.title = 'YesApp sandbox · ' + text;
  }

  document.addEventListener('DOMContentLoaded', function () {
    document.getElementById('qr-reload').addEventListener('click', function () {
      WPP.conn.refreshQR();
    });
    render();
    // Real wa-js needs seconds to inject; a short pause gives scripts that wait for
    // window.WPP (the engine's bridge polls for it) time to subscribe before the first events.
    setTimeout(boot, 150);
  });
})();
