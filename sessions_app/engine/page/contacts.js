// @ts-check
// Page scripts that ask WhatsApp about people: is a number on WhatsApp, and which phone number
// and lid are the same person. Each answers within `waitMs` or says it timed out, so a slow
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
