// The sandbox's WPP: the rest of WPP.chat. Media downloads, reads, the chat list and a chat's
// messages, reactions, deletes and edits of sent messages, typing, and finding a chat.
// @ts-check
var SandboxChat = (function () {
  'use strict';
  /** @typedef {import('@wppconnect/wa-js').chat.SendMessageReturn} SendMessageReturn */
  var core = SandboxCore;
  var state = core.state, emit = core.emit, wid = core.wid, msgModel = core.msgModel, chatId = core.chatId;
  var serializedId = core.serializedId, call = core.call, callJson = core.callJson, wppError = core.wppError;
  var localKey = core.localKey, sleep = core.sleep, requireLogin = core.requireLogin;
  var untilOnline = core.untilOnline, SEND_DEFAULTS = core.SEND_DEFAULTS;
  var logLine = SandboxScreen.logLine, sendVerdict = SandboxSend.sendVerdict;

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
        return callJson('POST', 'presence', { chatId: to, state: state, at: Date.now() });
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

  return {
    downloadMedia: downloadMedia,
    markIsRead: markIsRead,
    listChats: listChats,
    getMessages: getMessages,
    sendReactionToMessage: sendReactionToMessage,
    deleteMessage: deleteMessage,
    editMessage: editMessage,
    presence: presence,
    findChat: findChat,
  };
})();
