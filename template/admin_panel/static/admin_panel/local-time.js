/* local-time.js: times in the reader's time zone. No build step; load it deferred after
 * htmx.
 * - The `tz` cookie (path=/, SameSite=Lax) holds the browser's IANA time zone; it is set
 *   when missing or different, and `config.middleware.TimeZoneMiddleware` renders the
 *   next requests in that zone.
 * - <time datetime="ISO" data-local-time> elements are re-formatted in the browser's zone
 *   and the page's language (<html lang>) whenever content arrives: page load, htmx swaps
 *   and WebSocket rows (the live feed renders those once for everyone, in the server's
 *   zone).
 */
(function () {
  "use strict";

  var timeZone = "";
  try {
    timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (error) {
    timeZone = "";
  }
  var localFormat = null;

  function rememberTimeZone() {
    if (!/^[A-Za-z][A-Za-z0-9_+\/-]{0,63}$/.test(timeZone)) return;
    var current = document.cookie.split("; ").filter(function (pair) {
      return pair.indexOf("tz=") === 0;
    })[0];
    if (current === "tz=" + timeZone) return;
    var secure = window.location.protocol === "https:" ? "; Secure" : "";
    document.cookie = "tz=" + timeZone + "; path=/; max-age=31536000; SameSite=Lax" + secure;
  }

  function localizeTimes() {
    if (localFormat === null) {
      try {
        localFormat = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
          year: "numeric", month: "short", day: "numeric",
          hour: "2-digit", minute: "2-digit", hourCycle: "h23"
        });
      } catch (error) {
        return;
      }
    }
    document.querySelectorAll("time[data-local-time]").forEach(function (element) {
      var moment = new Date(element.getAttribute("datetime"));
      if (isNaN(moment.getTime())) return;
      var text = localFormat.format(moment);
      if (element.textContent !== text) element.textContent = text;
    });
  }

  rememberTimeZone();
  ["htmx:load", "htmx:afterSwap", "htmx:oobAfterSwap", "htmx:wsAfterMessage"].forEach(
    function (name) { document.addEventListener(name, localizeTimes); }
  );
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", localizeTimes);
  } else {
    localizeTimes();
  }
})();
