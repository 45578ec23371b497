// YesApp bridge: runs in every page before the page's own scripts (CDP
// Page.addScriptToEvaluateOnNewDocument). It subscribes to the wa-js events the engine
// needs and queues them as plain JSON, which Python drains with execute_async_script.
// Event names come from Python (sessions_app/engine/wpp_contract.py), passed as
// window.__yesappEvents before this script runs.
//
// Acknowledge after commit: each event carries a sequence number and stays queued until a
// later drain acknowledges it (the engine passes the last sequence it stored). A worker or
// a drain answer lost between the two gets the same events again; storage is idempotent.
//
// tsc checks it (tsconfig.json, `make lint`). Payloads are typed `any` on purpose: the bridge
// reads them defensively (the sandbox's page-events feed it hostile ones), never trusting
// wa-js's declared shapes at run time.
// @ts-check
(function () {
  'use strict';
  if (window.__yesapp) return;

  // If Python stops acknowledging (a hung worker, a long database outage), keep the newest
  // events and count the rest: a drain that reports drops makes the engine catch up with
  // WPP.chat.getMessages, so dropped messages are fetched again from the chats.
  const MAX_QUEUED = 10000;
  // Events handed over per drain: one WebDriver answer stays small, the actor gets back soon.
  const MAX_BATCH = 200;
  /** @typedef {{seq: number, name: string, data: unknown, at: number}} QueuedEvent */
  /** @type {QueuedEvent[]} */
  const queue = [];
  let seq = 0;
  // Sequences restart with each page load; an acknowledgement names the load it is for, so
  // one meant for the page before a reload never forgets this page's events.
  const bridgeId = Date.now().toString(36) + Math.random().toString(36).slice(2);
  let dropped = 0;
  /** @type {(() => void) | null} */
  let waiter = null;
  // Whether the engine was told of the queued events (page_push.py): one ring per drain, so a
  // burst costs one DevTools message, not one per event.
  let rung = false;

  // A Wid or MsgKey is a string or an object with a string `_serialized` (its toString);
  // anything else is no id at all, and the engine quarantines the event instead of guessing.
  /**
   * @param {any} value
   * @returns {string | null}
   */
  function wid(value) {
    if (typeof value === 'string') return value;
    if (value && typeof value === 'object' && typeof value._serialized === 'string') return value._serialized;
    return null;
  }

  /** @param {any} key */
  function msgKey(key) {
    const serialized = wid(key);
    if (serialized === null) return null;
    if (typeof key === 'string') return { _serialized: serialized };
    return {
      _serialized: serialized,
      fromMe: !!key.fromMe,
      remote: wid(key.remote),
      id: typeof key.id === 'string' ? key.id : '',
    };
  }

  // wa-js hands over Backbone models; only plain JSON may cross to Python.
  /**
   * @param {any} msg
   * @returns {BridgeMessage}
   */
  function message(msg) {
    if (!msg || typeof msg !== 'object') throw new TypeError('the message is not an object');
    const type = msg.type || 'chat';
    return {
      id: msgKey(msg.id),
      from: wid(msg.from),
      to: wid(msg.to),
      author: wid(msg.author),
      // For media, wa-js puts a base64 thumbnail in `body`; the caption is the text. A
      // contact card's body is its vCard.
      body: type === 'chat' || type === 'vcard' ? (msg.body || '') : '',
      type: type,
      t: msg.t || 0,
      notifyName: msg.notifyName || '',
      caption: msg.caption || '',
      mimetype: msg.mimetype || '',
      filename: msg.filename || '',
      size: msg.size || 0,
      isNewMsg: msg.isNewMsg !== false,
      quotedMsgId: msg.quotedStanzaID || '',
      quotedParticipant: wid(msg.quotedParticipant),
      // A location, contact cards, a poll: what they hold (messaging.content reads them).
      lat: typeof msg.lat === 'number' ? msg.lat : null,
      lng: typeof msg.lng === 'number' ? msg.lng : null,
      loc: typeof msg.loc === 'string' ? msg.loc : '',
      vcardFormattedName: msg.vcardFormattedName || '',
      vcardList: Array.isArray(msg.vcardList) ? msg.vcardList.map(vcardEntry) : [],
      pollName: msg.pollName || '',
      pollOptions: Array.isArray(msg.pollOptions) ? msg.pollOptions.map(pollOption) : [],
      pollSelectableOptionsCount: msg.pollSelectableOptionsCount || 0,
      // Who it mentions (Wids), whether it mentions everyone (`@all`), whether it was forwarded.
      mentionedJidList: Array.isArray(msg.mentionedJidList) ? msg.mentionedJidList.map(wid).filter(Boolean) : [],
      mentionsAll: typeof msg.nonJidMentions === 'number' && msg.nonJidMentions > 0,
      isForwarded: !!msg.isForwarded,
    };
  }

  /** @param {any} card */
  function vcardEntry(card) {
    return { displayName: (card && card.displayName) || '', vcard: (card && card.vcard) || '' };
  }

  /** @param {any} option */
  function pollOption(option) {
    return { name: (option && option.name) || '' };
  }

  /** @param {any} member */
  function participant(member) {
    return { id: wid(member && member.id), state: member && typeof member.state === 'string' ? member.state : '' };
  }

  /** @param {any} value */
  function isSet(value) {
    return value !== undefined && value !== null;
  }

  // wa-js declares a vote's selectedOptions as numbers but hands over the chosen poll options
  // ({name, localId}), placed at their localId in a sparse array: either way, the local ids.
  /** @param {any} option */
  function localId(option) {
    if (typeof option === 'number') return option;
    return option && typeof option.localId === 'number' ? option.localId : -1;
  }

  /**
   * @param {string} name
   * @param {ArrayLike<any>} args
   */
  function serialize(name, args) {
    const data = args[0];
    switch (name) {
      case 'chat.new_message':
        return message(data);
      case 'chat.msg_ack_change':
        if (!data || typeof data !== 'object') throw new TypeError('the receipt is not an object');
        return {
          ack: data.ack,
          chat: wid(data.chat),
          sender: wid(data.sender),
          ids: (data.ids || []).map(msgKey),
        };
      case 'chat.new_reaction':
        if (!data || typeof data !== 'object') throw new TypeError('the reaction is not an object');
        return {
          id: msgKey(data.id),
          msgId: msgKey(data.msgId),
          reactionText: typeof data.reactionText === 'string' ? data.reactionText : '',
          sender: wid(data.sender),
          timestamp: data.timestamp || 0,
        };
      case 'chat.msg_revoke':
        if (!data || typeof data !== 'object') throw new TypeError('the revoke is not an object');
        return {
          id: msgKey(data.id),
          refId: msgKey(data.refId),
          from: wid(data.from),
          to: wid(data.to),
          author: wid(data.author),
          type: typeof data.type === 'string' ? data.type : '',
        };
      case 'chat.msg_edited':
        if (!data || typeof data !== 'object') throw new TypeError('the edit is not an object');
        return { chat: wid(data.chat), id: wid(data.id), msg: message(data.msg) };
      case 'chat.poll_response':
        if (!data || typeof data !== 'object') throw new TypeError('the vote is not an object');
        return {
          msgId: msgKey(data.msgId),
          chatId: wid(data.chatId),
          sender: wid(data.sender),
          selectedOptions: Array.isArray(data.selectedOptions) ? data.selectedOptions.filter(isSet).map(localId) : null,
          timestamp: data.timestamp || 0,
        };
      case 'chat.presence_change':
        if (!data || typeof data !== 'object') throw new TypeError('the presence is not an object');
        return {
          id: wid(data.id),
          isOnline: !!data.isOnline,
          isGroup: !!data.isGroup,
          state: typeof data.state === 'string' ? data.state : '',
          t: data.t || 0,
          participants: Array.isArray(data.participants) ? data.participants.map(participant) : [],
        };
      case 'conn.auth_code_change':
        return data ? { fullCode: data.fullCode || '', ref: data.ref || '' } : null;
      case 'conn.stream_mode_changed':
        return typeof data === 'string' ? data : (data && data.mode) || null;
      default:
        return data === undefined ? null : JSON.parse(JSON.stringify(data));
    }
  }

  // What the engine quarantines when an event cannot be read: a JSON copy, cut at 64 KB.
  /** @param {unknown} value */
  function rawCopy(value) {
    try {
      const text = JSON.stringify(value === undefined ? null : value);
      return text.length > 65536 ? { truncated: text.slice(0, 65536) } : JSON.parse(text);
    } catch (err) {
      return { unreadable: String(value).slice(0, 1000) };
    }
  }

  /**
   * @param {string} name
   * @param {unknown} data
   */
  function push(name, data) {
    seq += 1;
    queue.push({ seq: seq, name: name, data: data, at: Date.now() });
    if (queue.length > MAX_QUEUED) {
      queue.shift();
      dropped += 1;
    }
    if (waiter) {
      const resolve = waiter;
      waiter = null;
      resolve();
    } else {
      ring();
    }
  }

  // The engine's DevTools binding (Runtime.addBinding): absent when it polls instead.
  function ring() {
    const binding = window.__yesappPush;
    if (rung || typeof binding !== 'function') return;
    rung = true;
    try {
      binding('');
    } catch (err) {
      rung = false; // the next event tries again; the engine's fallback drain comes anyway
    }
  }

  /** @type {import('./page/wpp-contract').ContractEventName[]} */
  const subscribed = [];

  function subscribe() {
    const wpp = window.WPP;
    if (!wpp || typeof wpp.on !== 'function') {
      setTimeout(subscribe, 50);
      return;
    }
    // The contract's event names, from Python (wpp_contract.json).
    const names = /** @type {import('./page/wpp-contract').ContractEventName[]} */ (window.__yesappEvents || []);
    names.forEach(function (name) {
      subscribed.push(name);
      wpp.on(name, function () {
        try {
          push(name, serialize(name, arguments));
        } catch (err) {
          push('bridge.error', { event: name, error: String(err), raw: rawCopy(arguments[0]) });
        }
      });
    });
    push('bridge.ready', null);
  }

  /** @param {{bridge: string | null, seq: number} | null} ack */
  function acknowledge(ack) {
    if (!ack || ack.bridge !== bridgeId) return;
    let stored = 0;
    while (stored < queue.length && queue[stored].seq <= ack.seq) stored += 1;
    if (stored) queue.splice(0, stored);
  }

  window.__yesapp = {
    // Forgets the events up to `ack` ({bridge, seq}: what the engine stored), then resolves
    // `done` with the oldest MAX_BATCH still queued, as soon as there are any, or after `waitMs`.
    /**
     * @param {{bridge: string | null, seq: number} | null} ack
     * @param {number} waitMs
     * @param {(answer: {bridge: string, events: QueuedEvent[], dropped: number}) => void} done
     */
    drain: function (ack, waitMs, done) {
      acknowledge(ack);
      const flush = function () {
        const lost = dropped;
        dropped = 0;
        rung = false; // what is queued after this answer rings again
        done({ bridge: bridgeId, events: queue.slice(0, MAX_BATCH), dropped: lost });
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
    // For the diagnostics report: which events this page load listens to.
    subscribed: function () {
      return subscribed.slice();
    },
    // The same plain-JSON message shape as chat.new_message, for catching up on chats.
    message: message,
  };
  subscribe();
})();
