// Passkeys (WebAuthn). A form with data-passkey-create (adding a passkey)
// or data-passkey-get (proving it is you) carries the server's options as
// JSON; on submit this asks the browser for the credential and sends its
// answer in the form's hidden "credential" field. Needs a browser with
// PublicKeyCredential.parseCreationOptionsFromJSON (2024 and later).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var say = function (form, key) {
    var status = form.querySelector(".passkey-status");
    if (status) { status.textContent = status.dataset[key] || ""; }
  };
  var wire = function (form, options, ask) {
    form.addEventListener("submit", function (ev) {
      if (form.elements.credential.value) { return; }
      ev.preventDefault();
      if (!window.PublicKeyCredential || !PublicKeyCredential.parseCreationOptionsFromJSON) {
        say(form, "unsupported");
        return;
      }
      ask(JSON.parse(options).publicKey).then(function (cred) {
        form.elements.credential.value = JSON.stringify(cred.toJSON());
        form.submit();
      }, function () { say(form, "failed"); });
    });
  };
  document.querySelectorAll("form[data-passkey-create]").forEach(function (form) {
    wire(form, form.dataset.passkeyCreate, function (o) {
      return navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(o) });
    });
  });
  document.querySelectorAll("form[data-passkey-get]").forEach(function (form) {
    wire(form, form.dataset.passkeyGet, function (o) {
      return navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(o) });
    });
  });
});
