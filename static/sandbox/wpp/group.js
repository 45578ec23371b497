// The sandbox's WPP: WPP.group.* and WPP.call.reject. The app keeps the groups
// (sandbox/group_page.py) and answers with wa-js's values and error codes.
// @ts-check
var SandboxGroup = (function () {
  'use strict';
  var core = SandboxCore;
  var wid = core.wid, chatId = core.chatId, callJson = core.callJson, wppError = core.wppError;
  var requireLogin = core.requireLogin;
  var logLine = SandboxScreen.logLine;

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

  return {
    getAllGroups: getAllGroups,
    getParticipants: getParticipants,
    createGroup: createGroup,
    changeMembers: changeMembers,
    setGroup: setGroup,
    setProperty: setProperty,
    inviteCode: inviteCode,
    joinGroup: joinGroup,
    leaveGroup: leaveGroup,
    rejectCall: rejectCall,
  };
})();
