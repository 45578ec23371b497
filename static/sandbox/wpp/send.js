// The sandbox's WPP: sending (WPP.chat.send*Message and forwardMessages). Each send is one
// call to the app, then the events wa-js fires around it; a recipient WhatsApp refuses is an
// answer with ack -1, as in wa-js, not an exception.
// @ts-check
var SandboxSend = (function () {
  'use strict';
  /** @typedef {import('@wppconnect/wa-js').chat.SendMessageReturn} SendMessageReturn */
  var core = SandboxCore, screen = SandboxScreen;
  var config = core.config, state = core.state, emit = core.emit, wid = core.wid, msgKey = core.msgKey;
  var msgModel = core.msgModel, chatId = core.chatId, serializedId = core.serializedId;
  var callJson = core.callJson, wppError = core.wppError, localKey = core.localKey, sleep = core.sleep;
  var requireLogin = core.requireLogin, untilOnline = core.untilOnline, SEND_DEFAULTS = core.SEND_DEFAULTS;
  var logLine = screen.logLine, describe = screen.describe;

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

  return {
    sendVerdict: sendVerdict,
    sendTextMessage: sendTextMessage,
    sendFileMessage: sendFileMessage,
    sendLocationMessage: sendLocationMessage,
    sendVCardContactMessage: sendVCardContactMessage,
    sendCreatePollMessage: sendCreatePollMessage,
    forwardMessages: forwardMessages,
  };
})();
