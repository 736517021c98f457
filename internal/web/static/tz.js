// Strongroom: tells the login page the browser's time zone, so that a user
// who never chose one reads times in it (the server keeps only a tz
// database name; anything else is ignored and times stay in UTC, stated).
(function () {
  "use strict";
  try {
    var z = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (z && /^[A-Za-z0-9_+\/-]{1,64}$/.test(z)) {
      document.cookie = "__Host-strongroom-tz=" + z + "; path=/; secure; samesite=strict; max-age=31536000";
    }
  } catch (e) { /* no Intl: UTC */ }
})();
