// Fills a check-in or check-out form with the device's location before it
// is sent. Without JavaScript, or if the device refuses, the form is sent
// without a location.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-geo]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (form.dataset.located || !navigator.geolocation) { return; }
      ev.preventDefault();
      var status = form.querySelector(".geo-status");
      if (status) { status.textContent = status.dataset.locating || ""; }
      var send = function () { form.dataset.located = "1"; form.submit(); };
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.elements.lat.value = pos.coords.latitude.toFixed(6);
        form.elements.lon.value = pos.coords.longitude.toFixed(6);
        form.elements.accuracy.value = Math.round(pos.coords.accuracy);
        send();
      }, send, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
    });
  });
});
