// @ts-check
// Page scripts that look at the page itself: the versions and whether the contract still holds.

/**
 * The contract's dotted names that are not functions under window.WPP right now (WhatsApp Web
 * changed under wa-js, or wa-js was upgraded without the contract).
 * @param {string[]} names
 * @returns {string[]}
 */
function absentFunctions(names) {
  return names.filter(function (name) {
    /** @type {any} */
    let value = window.WPP;
    for (const part of name.split('.')) {
      try {
        value = value == null ? undefined : value[part];
      } catch (err) {
        value = undefined; // some wa-js getters throw when WhatsApp's module is gone
      }
    }
    return typeof value !== 'function';
  });
}

/**
 * @param {string[]} names
 * @returns {Promise<string[]>}
 */
async function missingFunctions(names) {
  return absentFunctions(names);
}

/**
 * What the diagnostics report reads from the page.
 * @param {string[]} functions the contract's functions (wpp_contract.json)
 * @param {string[]} events the contract's events
 */
async function diagnose(functions, events) {
  const subscribed = window.__yesapp.subscribed();
  return {
    wajsVersion: String(WPP.version || ''),
    whatsappVersion: String((window.Debug && window.Debug.VERSION) || ''),
    isReady: !!WPP.isReady,
    isFullReady: !!WPP.isFullReady,
    missingFunctions: absentFunctions(functions),
    unsubscribedEvents: events.filter(function (name) {
      return subscribed.indexOf(name) < 0;
    }),
    pendingEvents: window.__yesapp.pending(),
  };
}
