// The sandbox's WPP: the connection. The login state (QR codes, pairing codes, the link and
// the logout, the stream mode), the long poll that brings the app's news, and the boot that
// starts both once the page knows whether it is linked.
// @ts-check
var SandboxConn = (function () {
  'use strict';
  var core = SandboxCore, screen = SandboxScreen;
  var config = core.config, state = core.state, emit = core.emit, wid = core.wid, msgKey = core.msgKey;
  var emitRaw = core.emitRaw, msgModel = core.msgModel, ackPayload = core.ackPayload;
  var callJson = core.callJson, wppError = core.wppError, pageHeaders = core.pageHeaders, pageUrl = core.pageUrl;
  var tokenStore = core.tokenStore, forgetToken = core.forgetToken;
  var render = screen.render, logLine = screen.logLine, describe = screen.describe, ackName = screen.ackName;

  var SYNC_MS = 300; // how long "Loading your chats" lasts after a link or a reload
  var OFFLINE_AFTER_MS = 3000; // the app unreachable this long = WhatsApp unreachable

  var qrTimer = null;

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

  /**
   * Asks the app whether this profile is linked, then polls for good.
   * @param {() => void} ready sets WPP's isInjected, isReady and isFullReady (wpp.js)
   */
  function boot(ready) {
    return tokenStore.get().catch(function (err) {
      console.error('IndexedDB is not available; links will not survive a reload', err);
      return '';
    }).then(function (stored) {
      state.deviceToken = stored;
      return callJson('POST', 'hello', { deviceToken: stored });
    }).then(function (hello) {
      state.cursor = hello.cursor;
      ready();
      state.booted = true;
      core.bootDone();
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
      setTimeout(function () { boot(ready); }, 1000);
    });
  }

  return { showQr: showQr, loggedOut: loggedOut, repoll: repoll, boot: boot };
})();
