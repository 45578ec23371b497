// YesApp sandbox: a stand-in for WhatsApp Web + wa-js. It defines `window.WPP` with exactly
// the functions and events the engine uses (sessions_app/engine/wpp_contract.py), with the
// names, arguments and payload shapes of wa-js 4.6.0, and talks to the app (sandbox/views.py)
// through a long poll instead of WhatsApp's servers. No framework and no network beyond
// this app: the page must work on a machine without internet.
//
// This last part puts together what the parts before it define (templates/sandbox/page.html
// loads them in order, synchronously in <head>, so `window.WPP` exists as soon as the page
// does): core.js (state, events, wa-js's value shapes, calls to the app), screen.js (what the
// page shows), conn.js (login and the long poll), send.js and chat.js (WPP.chat), contact.js
// (WPP.contact and WPP.blocklist), group.js (WPP.group and WPP.call).
//
// tsc checks them (static/sandbox/tsconfig.json, `make lint`): the WPP object must satisfy `Pick`
// of wa-js's own namespaces for exactly the contract's functions (PageWPP), and every event is
// emitted with wa-js's declared payload type. The few casts are where the sandbox builds
// WhatsApp's models (Wid, MsgKey, MsgModel) as plain objects with just the fields wa-js reads.
// @ts-check
(function () {
  'use strict';
  var core = SandboxCore, conn = SandboxConn;
  var state = core.state, listeners = core.listeners, booted = core.booted, wid = core.wid;
  var callJson = core.callJson, wppError = core.wppError, render = SandboxScreen.render;
  var presence = SandboxChat.presence, setBlocked = SandboxContact.setBlocked;
  var changeMembers = SandboxGroup.changeMembers, setGroup = SandboxGroup.setGroup;
  var inviteCode = SandboxGroup.inviteCode;
  // Mode → StreamInfo, as WhatsApp Web reports them together.
  var STREAM_INFO = { MAIN: 'NORMAL', SYNCING: 'SYNCING', OFFLINE: 'OFFLINE' };

  // --- events: wa-js uses eventemitter2 (on/off by name); core.js's emit calls these listeners
  function on(name, listener) {
    (listeners[name] = listeners[name] || []).push(listener);
    return WPP;
  }

  function off(name, listener) {
    listeners[name] = (listeners[name] || []).filter(function (fn) { return fn !== listener; });
    return WPP;
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
          return state.loggedIn ? null : conn.showQr();
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
            return conn.loggedOut();
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
          conn.repoll();
          return data.code;
        });
      },
    },
    chat: {
      sendTextMessage: SandboxSend.sendTextMessage,
      sendFileMessage: SandboxSend.sendFileMessage,
      downloadMedia: SandboxChat.downloadMedia,
      markIsRead: SandboxChat.markIsRead,
      list: SandboxChat.listChats,
      getMessages: SandboxChat.getMessages,
      sendReactionToMessage: SandboxChat.sendReactionToMessage,
      deleteMessage: SandboxChat.deleteMessage,
      editMessage: SandboxChat.editMessage,
      markIsComposing: presence('typing'),
      markIsRecording: presence('recording'),
      markIsPaused: presence('paused'),
      find: SandboxChat.findChat,
      sendLocationMessage: SandboxSend.sendLocationMessage,
      sendVCardContactMessage: SandboxSend.sendVCardContactMessage,
      sendCreatePollMessage: SandboxSend.sendCreatePollMessage,
      forwardMessages: SandboxSend.forwardMessages,
    },
    contact: {
      queryWidExists: SandboxContact.queryWidExists,
      getPnLidEntry: SandboxContact.getPnLidEntry,
      list: SandboxContact.listContacts,
      get: SandboxContact.getContact,
      getStatus: SandboxContact.getStatus,
      getProfilePictureUrl: SandboxContact.getProfilePictureUrl,
    },
    blocklist: {
      all: function () { return state.blocked.map(wid); },
      isBlocked: SandboxContact.isBlocked,
      blockContact: setBlocked(true),
      unblockContact: setBlocked(false),
    },
    group: {
      create: SandboxGroup.createGroup,
      getAllGroups: SandboxGroup.getAllGroups,
      getParticipants: SandboxGroup.getParticipants,
      addParticipants: changeMembers('add'),
      removeParticipants: changeMembers('remove'),
      promoteParticipants: changeMembers('promote'),
      demoteParticipants: changeMembers('demote'),
      setSubject: setGroup('subject'),
      setDescription: setGroup('description'),
      setProperty: SandboxGroup.setProperty,
      getInviteCode: inviteCode('getInviteCode'),
      revokeInviteCode: inviteCode('revokeInviteCode'),
      join: SandboxGroup.joinGroup,
      leave: SandboxGroup.leaveGroup,
    },
    call: { reject: SandboxGroup.rejectCall },
    util: { blobToBase64: blobToBase64 },
  };
  window.WPP = WPP;

  function ready() {
    WPP.isInjected = WPP.isReady = WPP.isFullReady = true;
  }

  document.addEventListener('DOMContentLoaded', function () {
    document.getElementById('qr-reload').addEventListener('click', function () {
      WPP.conn.refreshQR();
    });
    render();
    // Real wa-js needs seconds to inject; a short pause gives scripts that wait for
    // window.WPP (the engine's bridge polls for it) time to subscribe before the first events.
    setTimeout(function () { conn.boot(ready); }, 150);
  });
})();
