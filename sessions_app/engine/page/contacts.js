// @ts-check
// Page scripts that ask WhatsApp about people and chats: is a number on WhatsApp, which phone
// number and lid are the same person, the contact list and one contact's profile, blocking,
// the chat list and a chat's earlier messages. Each answers within `waitMs` or says it timed out, so a slow
// WhatsApp server never looks like a hung browser to the engine.

/**
 * `promise`'s value, or `{timedOut: true}` when it takes longer than `waitMs`.
 * @template T
 * @param {Promise<T>} promise
 * @param {number} waitMs
 * @returns {Promise<{timedOut: false, value: T} | {timedOut: true}>}
 */
async function withinDeadline(promise, waitMs) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const deadline = new Promise(function (resolve) {
    timer = setTimeout(function () { resolve({ timedOut: true }); }, waitMs);
  });
  const done = promise.then(function (value) { return { timedOut: false, value: value }; });
  try {
    return /** @type {{timedOut: false, value: T} | {timedOut: true}} */ (await Promise.race([done, deadline]));
  } finally {
    clearTimeout(timer);
  }
}

/**
 * WPP.contact.queryWidExists for each chat id (`<digits>@c.us`), all at once: the correct
 * chat id (WhatsApp's own, e.g. Brazil's ninth digit) and the lid when it exists, else null.
 * @param {string[]} ids
 * @param {number} waitMs
 */
async function checkNumbers(ids, waitMs) {
  const all = Promise.all(ids.map(async function (id) {
    const found = await WPP.contact.queryWidExists(id);
    return {
      id: id,
      exists: !!found,
      chatId: found ? found.wid._serialized : null,
      lid: found && found.lid ? found.lid._serialized : null,
    };
  }));
  const answer = await withinDeadline(all, waitMs);
  return answer.timedOut ? { timedOut: true, results: [] } : { timedOut: false, results: answer.value };
}

/**
 * WPP.contact.getPnLidEntry: the phone chat id and the lid WhatsApp Web knows for a phone chat
 * id or a lid; either is null when it does not know it (a lid-only contact hides its number).
 * @param {string} id `<digits>@c.us` or `<digits>@lid`
 * @param {number} waitMs
 */
async function pnLidEntry(id, waitMs) {
  const answer = await withinDeadline(WPP.contact.getPnLidEntry(id), waitMs);
  if (answer.timedOut) return { timedOut: true, phone: null, lid: null };
  const entry = answer.value || {};
  return {
    timedOut: false,
    phone: entry.phoneNumber ? entry.phoneNumber._serialized : null,
    lid: entry.lid ? entry.lid._serialized : null,
  };
}

/**
 * A Wid (or anything with `_serialized`) as a string; null when absent.
 * @param {any} id
 * @returns {string | null}
 */
function widString(id) {
  if (!id) return null;
  return typeof id === 'string' ? id : String(id._serialized || id);
}

/**
 * The phone chat id and lid of each of `ids` (WPP.contact.getPnLidEntry), null where unknown.
 * @param {string[]} ids
 * @returns {Promise<Record<string, {phone: string | null, lid: string | null}>>}
 */
async function pnLidEntries(ids) {
  /** @type {Record<string, {phone: string | null, lid: string | null}>} */
  const pairs = {};
  await Promise.all(ids.map(async function (id) {
    try {
      const entry = (await WPP.contact.getPnLidEntry(id)) || {};
      pairs[id] = { phone: widString(entry.phoneNumber), lid: widString(entry.lid) };
    } catch (err) {
      pairs[id] = { phone: null, lid: null };  // an id WhatsApp cannot pair is not an error here
    }
  }));
  return pairs;
}

/**
 * WPP.contact.list: people (users and lids, no groups) with their names, business flag, blocked
 * state (WPP.blocklist.all) and phone–lid pair.
 * @param {number} waitMs
 */
async function listContacts(waitMs) {
  const work = (async function () {
    const blocked = new Set(WPP.blocklist.all().map(widString));
    const people = (await WPP.contact.list()).filter(function (contact) {
      return contact.id && (contact.id.server === 'c.us' || contact.id.server === 'lid');
    });
    const pairs = await pnLidEntries(people.map(function (contact) { return String(widString(contact.id)); }));
    return people.map(function (contact) {
      const id = String(widString(contact.id));
      return {
        id: id,
        name: contact.name || null,
        pushName: contact.pushname || null,
        business: !!contact.isBusiness,
        myContact: !!contact.isMyContact,
        blocked: blocked.has(id),
        phone: pairs[id].phone,
        lid: pairs[id].lid,
      };
    });
  })();
  const answer = await withinDeadline(work, waitMs);
  return answer.timedOut ? { timedOut: true, contacts: [] } : { timedOut: false, contacts: answer.value };
}

/**
 * A profile picture's bytes as a data URL: WhatsApp gives a URL on its CDN, which only the
 * logged-in page can fetch, so the page fetches it. Null when there is none or it fails.
 * @param {string} id
 * @returns {Promise<string | null>}
 */
async function profilePicture(id) {
  const url = await WPP.contact.getProfilePictureUrl(id, true).catch(function () { return null; });
  if (!url) return null;
  const response = await fetch(url);
  if (!response.ok) return null;
  return String(await WPP.util.blobToBase64(await response.blob()));
}

/**
 * One contact (WPP.contact.get) with its about text (WPP.contact.getStatus), profile picture and
 * blocked state; `found` false when WhatsApp Web knows no such contact.
 * @param {string} id
 * @param {number} waitMs
 */
async function contactProfile(id, waitMs) {
  const work = (async function () {
    const contact = await WPP.contact.get(id);
    if (!contact) return { found: false };
    /** @type {string | null} */
    let pictureError = null;
    const results = await Promise.all([
      WPP.contact.getStatus(id).catch(function () { return null; }),
      // WhatsApp's CDN may refuse the page's fetch: the profile still answers, saying why.
      profilePicture(id).catch(function (err) { pictureError = String((err && err.message) || err); return null; }),
      pnLidEntries([id]),
    ]);
    const about = /** @type {any} */ (results[0]);
    return {
      found: true,
      id: String(widString(contact.id)),
      name: contact.name || null,
      pushName: contact.pushname || null,
      business: !!contact.isBusiness,
      myContact: !!contact.isMyContact,
      blocked: WPP.blocklist.isBlocked(id),
      // wa-js declares a string; older WhatsApp Web builds answer {status}.
      about: about && typeof about === 'object' ? about.status || null : about || null,
      picture: results[1],
      pictureError: pictureError,
      phone: results[2][id].phone,
      lid: results[2][id].lid,
    };
  })();
  const answer = await withinDeadline(work, waitMs);
  return answer.timedOut ? { timedOut: true } : Object.assign({ timedOut: false }, answer.value);
}

/**
 * WPP.blocklist.blockContact / unblockContact: the blocked state WhatsApp answers.
 * @param {string} id
 * @param {boolean} block
 * @param {number} waitMs
 */
async function setBlocked(id, block, waitMs) {
  const work = block ? WPP.blocklist.blockContact(id) : WPP.blocklist.unblockContact(id);
  const answer = await withinDeadline(work, waitMs);
  if (answer.timedOut) return { timedOut: true };
  return { timedOut: false, id: id, blocked: !!answer.value.isBlocked };
}

/**
 * WPP.chat.list: people's and groups' chats, most recently active first; `limit` of them after
 * `offset`, each with its state and last message (WPP.chat.getMessages, count 1) as the bridge
 * hands messages over, and how many there are in all.
 * @param {number} offset
 * @param {number} limit
 * @param {number} waitMs
 */
async function listChats(offset, limit, waitMs) {
  const work = (async function () {
    const all = (await WPP.chat.list()).filter(function (chat) {
      return /@(c\.us|lid|g\.us)$/.test(String(widString(chat.id)));
    });
    const slice = all.slice(offset, offset + limit);
    const people = slice.map(function (chat) { return String(widString(chat.id)); })
      .filter(function (id) { return !id.endsWith('@g.us'); });
    const pairs = await pnLidEntries(people);
    const page = await Promise.all(slice.map(async function (chat) {
      const last = await WPP.chat.getMessages(chat.id, { count: 1 }).catch(function () { return []; });
      const pair = pairs[String(widString(chat.id))] || { phone: null, lid: null };
      return {
        id: String(widString(chat.id)),
        phone: pair.phone,
        lid: pair.lid,
        name: chat.name || chat.formattedTitle || null,
        isGroup: String(widString(chat.id)).endsWith('@g.us'),
        unreadCount: chat.unreadCount || 0,
        t: chat.t || 0,
        archived: !!chat.archive,
        pinned: !!chat.pin,
        muteExpiration: typeof chat.muteExpiration === 'number' ? chat.muteExpiration : 0,
        lastMessage: last.length ? window.__yesapp.message(last[last.length - 1]) : null,
      };
    }));
    return { total: all.length, chats: page };
  })();
  const answer = await withinDeadline(work, waitMs);
  if (answer.timedOut) return { timedOut: true, total: 0, chats: [] };
  return { timedOut: false, total: answer.value.total, chats: answer.value.chats };
}

/**
 * A chat's last `limit` messages, oldest first (WPP.chat.getMessages, which has WhatsApp Web
 * load earlier ones from the phone when it holds fewer), as the bridge hands messages over.
 * @param {string} chatId
 * @param {number} limit
 * @param {number} waitMs
 */
async function chatHistory(chatId, limit, waitMs) {
  const work = WPP.chat.getMessages(chatId, { count: limit });
  const answer = await withinDeadline(work, waitMs);
  if (answer.timedOut) return { timedOut: true, messages: [] };
  return { timedOut: false, messages: answer.value.map(function (msg) { return window.__yesapp.message(msg); }) };
}
