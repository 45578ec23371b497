// @ts-check
// @page-requires contacts
// Page scripts for groups (WPP.group.*) and calls (WPP.call.reject). Each answers within
// `waitMs` (withinDeadline, from contacts.js, loaded with this file) and hands wa-js's errors
// back as `{failure: {code, message}}`, so Python can tell "not an admin" from a broken page.

/**
 * `{value}`, `{failure: {code, message}}` for a wa-js error, or `{timedOut: true}`.
 * @param {() => Promise<any>} work
 * @param {number} waitMs
 */
async function settle(work, waitMs) {
  const caught = work().then(
    function (value) { return { value: value === undefined ? null : value }; },
    /** @param {any} err */
    function (err) {
      return { failure: { code: String((err && err.code) || 'error'), message: String((err && err.message) || err) } };
    }
  );
  const answer = await withinDeadline(caught, waitMs);
  return answer.timedOut ? { timedOut: true } : Object.assign({ timedOut: false }, answer.value);
}

/** @param {any} wid */
function serialized(wid) {
  return wid ? String(wid._serialized || wid) : null;
}

/**
 * Every group the session is in, with its metadata and members.
 * @param {number} waitMs
 */
async function listGroups(waitMs) {
  return settle(async function () {
    const chats = await WPP.group.getAllGroups();
    const groups = [];
    for (const chat of chats) {
      if (!chat) continue;
      const meta = chat.groupMetadata;
      const members = await WPP.group.getParticipants(chat.id);
      groups.push({
        id: serialized(chat.id),
        subject: (meta && meta.subject) || chat.name || '',
        description: (meta && meta.desc) || '',
        owner: meta ? serialized(meta.owner) : null,
        announce: !!(meta && meta.announce),
        restrict: !!(meta && meta.restrict),
        memberAddMode: meta && meta.memberAddMode ? String(meta.memberAddMode) : null,
        approval: meta && meta.membershipApprovalMode != null ? !!meta.membershipApprovalMode : null,
        creation: meta && typeof meta.creation === 'number' ? meta.creation : null,
        participants: members.map(function (p) {
          return { id: serialized(p.id), isAdmin: !!p.isAdmin, isSuperAdmin: !!p.isSuperAdmin };
        }),
      });
    }
    return groups;
  }, waitMs);
}

/**
 * WPP.group.create: the new group's id and what happened to each participant (WhatsApp codes).
 * @param {string} subject
 * @param {string[]} ids
 * @param {number} waitMs
 */
async function createGroup(subject, ids, waitMs) {
  return settle(async function () {
    const created = await WPP.group.create(subject, ids, /** @type {any} */ (undefined));
    return { id: serialized(created.gid), participants: created.participants };
  }, waitMs);
}

/**
 * Add (one call; WhatsApp answers per person) or remove / promote / demote (one call per person,
 * as wa-js stops at the first failure): `{id: {code, message}}`.
 * @param {string} groupId
 * @param {'add' | 'remove' | 'promote' | 'demote'} action
 * @param {string[]} ids
 * @param {number} waitMs
 */
async function changeParticipants(groupId, action, ids, waitMs) {
  return settle(async function () {
    if (action === 'add') return await WPP.group.addParticipants(groupId, ids);
    const change = {
      remove: WPP.group.removeParticipants, promote: WPP.group.promoteParticipants,
      demote: WPP.group.demoteParticipants,
    }[action];
    /** @type {Record<string, {code: number | string, message: string}>} */
    const results = {};
    for (const id of ids) {
      try {
        await change(groupId, id);
        results[id] = { code: 200, message: action };
      } catch (err) {
        const e = /** @type {any} */ (err);
        results[id] = { code: String((e && e.code) || 'error'), message: String((e && e.message) || e) };
      }
    }
    return results;
  }, waitMs);
}

/**
 * WPP.group.setSubject / setDescription / setProperty, for the fields given.
 * @param {string} groupId
 * @param {{subject?: string, description?: string, announcement?: boolean, restrict?: boolean}} changes
 * @param {number} waitMs
 */
async function updateGroup(groupId, changes, waitMs) {
  return settle(async function () {
    if (changes.subject !== undefined) await WPP.group.setSubject(groupId, changes.subject);
    if (changes.description !== undefined) await WPP.group.setDescription(groupId, changes.description);
    if (changes.announcement !== undefined) {
      await WPP.group.setProperty(groupId, /** @type {any} */ ('announcement'), changes.announcement);
    }
    if (changes.restrict !== undefined) {
      await WPP.group.setProperty(groupId, /** @type {any} */ ('restrict'), changes.restrict);
    }
    return true;
  }, waitMs);
}

/**
 * WPP.group.getInviteCode, or revokeInviteCode (a new code; the old link stops working).
 * @param {string} groupId
 * @param {boolean} revoke
 * @param {number} waitMs
 */
async function inviteCode(groupId, revoke, waitMs) {
  return settle(function () {
    return revoke ? WPP.group.revokeInviteCode(groupId) : WPP.group.getInviteCode(groupId);
  }, waitMs);
}

/**
 * WPP.group.join: `{id, pendingApproval}`.
 * @param {string} code
 * @param {number} waitMs
 */
async function joinGroup(code, waitMs) {
  return settle(function () { return WPP.group.join(code); }, waitMs);
}

/**
 * @param {string} groupId
 * @param {number} waitMs
 */
async function leaveGroup(groupId, waitMs) {
  return settle(function () { return WPP.group.leave(groupId); }, waitMs);
}

/**
 * WPP.call.reject: hangs up a ringing call.
 * @param {string} callId
 * @param {number} waitMs
 */
async function rejectCall(callId, waitMs) {
  return settle(function () { return WPP.call.reject(callId); }, waitMs);
}
