// YesApp bridge: runs in every page before the page's own scripts (CDP
// Page.addScriptToEvaluateOnNewDocument). It subscribes to the wa-js events the engine
// needs and queues them as plain JSON, which Python drains with execute_async_script.
// Event names come from Python (sessions_app/engine/wpp_contract.py), passed as
// window.__yesappEvents before this script runs.
(function () {
  'use strict';
  if (window.__yesapp) return;

  // If Python stops draining (a hung worker), keep the newest events and count the rest:
  // the engine re-reads state on reconnect, and messages are re-synced from the phone.
  const MAX_QUEUED = 10000;
  const queue = [];
  let dropped = 0;
  let waiter = null;

  function wid(value) {
    if (value === null || value === undefined) return null;
    if (typeof value === 'string') return value;
    return value._serialized || String(value);
  }

  function msgKey(key) {
    if (!key) return null;
    if (typeof key === 'string') return { _serialized: key };
    return {
      _serialized: key._serialized || String(key),
      fromMe: !!key.fromMe,
      remote: wid(key.remote),
      id: key.id || '',
    };
  }

  // wa-js hands over Backbone models; only plain JSON may cross to Python.
  function message(msg) {
    const type = msg.type || 'chat';
    return {
      id: msgKey(msg.id),
      from: wid(msg.from),
      to: wid(msg.to),
      author: wid(msg.author),
      // For media, wa-js puts a base64 thumbnail in `body`; the caption is the text.
      body: type === 'chat' ? (msg.body || '') : '',
      type: type,
      t: msg.t || 0,
      notifyName: msg.notifyName || '',
      caption: msg.caption || '',
      mimetype: msg.mimetype || '',
      filename: msg.filename || '',
      size: msg.size || 0,
      isNewMsg: msg.isNewMsg !== false,
      quotedMsgId: msg.quotedStanzaID || '',
    };
  }

  function serialize(name, args) {
    const data = args[0];
    switch (name) {
      case 'chat.new_message':
        return message(data);
      case 'chat.msg_ack_change':
        return {
          ack: data.ack,
          chat: wid(data.chat),
          sender: wid(data.sender),
          ids: (data.ids || []).map(msgKey),
        };
      case 'conn.auth_code_change':
        return data ? { fullCode: data.fullCode || '', ref: data.ref || '' } : null;
      case 'conn.stream_mode_changed':
        return typeof data === 'string' ? data : (data && data.mode) || null;
      default:
        return data === undefined ? null : JSON.parse(JSON.stringify(data));
    }
  }

  function push(name, data) {
    queue.push({ name: name, data: data, at: Date.now() });
    if (queue.length > MAX_QUEUED) {
      queue.shift();
      dropped += 1;
    }
    if (waiter) {
      const resolve = waiter;
      waiter = null;
      resolve();
    }
  }

  function subscribe() {
    const wpp = window.WPP;
    if (!wpp || typeof wpp.on !== 'function') {
      setTimeout(subscribe, 50);
      return;
    }
    (window.__yesappEvents || []).forEach(function (name) {
      wpp.on(name, function () {
        try {
          push(name, serialize(name, arguments));
        } catch (err) {
          push('bridge.error', { event: name, error: String(err) });
        }
      });
    });
    push('bridge.ready', null);
  }

  window.__yesapp = {
    // Resolves `done` with the queued events as soon as there are any, or after `waitMs`.
    drain: function (waitMs, done) {
      const flush = function () {
        const events = queue.splice(0, queue.length);
        const lost = dropped;
        dropped = 0;
        done({ events: events, dropped: lost });
      };
      if (queue.length) return flush();
      const timer = setTimeout(function () {
        waiter = null;
        flush();
      }, waitMs);
      waiter = function () {
        clearTimeout(timer);
        flush();
      };
    },
    pending: function () {
      return queue.length;
    },
  };
  subscribe();
})();
