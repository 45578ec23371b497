// The sandbox's WPP: WPP.contact (who is on WhatsApp, lids, profiles) and WPP.blocklist,
// whose all() and isBlocked() answer synchronously from the list the page loaded at login.
// @ts-check
var SandboxContact = (function () {
  'use strict';
  var core = SandboxCore;
  var state = core.state, wid = core.wid, chatId = core.chatId, serializedId = core.serializedId;
  var booted = core.booted, callJson = core.callJson, requireLogin = core.requireLogin;
  var logLine = SandboxScreen.logLine;

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

  return {
    queryWidExists: queryWidExists,
    getPnLidEntry: getPnLidEntry,
    listContacts: listContacts,
    getContact: getContact,
    getStatus: getStatus,
    getProfilePictureUrl: getProfilePictureUrl,
    setBlocked: setBlocked,
    isBlocked: isBlocked,
  };
})();
