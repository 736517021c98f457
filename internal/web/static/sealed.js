// Sealed notes (docs/SECURITY.md, "Sealed notes"): notes encrypted in this
// browser with WebCrypto for the readers chosen and the organisation's
// recovery key. The server sends and keeps only public keys, ciphertext
// and envelopes; the private key is opened here with the reader's
// passphrase, kept in this page (never stored) as a non-extractable key.
// The formats are those of internal/keyring/sealed.go:
//   note body  AES-256-GCM, 12-byte nonce, AAD "strongroom/sealed-note/v1|<id>"
//   envelope   0x01 | ephemeral P-256 key (65) | nonce (12) | AES-GCM(note key) (48);
//              key = HKDF-SHA256(ECDH, salt = ephemeral key,
//                                info = "strongroom/sealed-envelope/v1|<id>|<recipient>")
//   my key     JWK, AES-256-GCM under PBKDF2-SHA256(passphrase, salt, 600000),
//              AAD "strongroom/seal-key/v1|<user id>"; and, once a passkey is
//              added, under HKDF-SHA256(the passkey's WebAuthn PRF output for a
//              32-byte salt, info "strongroom/seal-key/prf/v1|<user id>"),
//              AAD "strongroom/seal-key/v1|<user id>|prf"
"use strict";
(function () {
  var root = document.getElementById("sealed");
  if (!root) { return; }
  var T = root.dataset, customer = T.customer, me = T.user;
  var el = function (id) { return document.getElementById(id); };
  var status = el("sealed-status"), errorBox = el("sealed-error");
  var setupForm = el("sealed-setup"), unlockForm = el("sealed-unlock"), writeForm = el("sealed-write"), list = el("sealed-list");
  var prfForm = el("sealed-prf"), passkeyUnlock = el("sealed-passkey-unlock");
  var subtle = window.crypto && window.crypto.subtle;
  var enc = new TextEncoder(), dec = new TextDecoder();
  var ITERATIONS = 600000, ENVELOPE = 126;
  var myKey = null, myRow = null, recipients = [], started = false;

  function say(msg) { status.textContent = msg || ""; }
  function fail(msg) {
    say("");
    errorBox.textContent = msg;
    errorBox.hidden = false;
  }
  function clearError() { errorBox.hidden = true; errorBox.textContent = ""; }

  function b64(buf) {
    var bytes = new Uint8Array(buf), s = "";
    for (var i = 0; i < bytes.length; i++) { s += String.fromCharCode(bytes[i]); }
    return btoa(s);
  }
  function unb64(s) {
    var raw = atob(s || ""), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out;
  }
  function concat() {
    var n = 0, i;
    for (i = 0; i < arguments.length; i++) { n += arguments[i].length; }
    var out = new Uint8Array(n), at = 0;
    for (i = 0; i < arguments.length; i++) { out.set(arguments[i], at); at += arguments[i].length; }
    return out;
  }
  function random(n) { return window.crypto.getRandomValues(new Uint8Array(n)); }
  function hex(bytes) {
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // api calls the JSON API with this page's session (same origin only);
  // a refusal is thrown with the server's problem+json detail.
  function api(method, path, body) {
    var headers = { "Accept": "application/json", "Accept-Language": T.lang };
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    return fetch("/api/v1" + path, { method: method, credentials: "same-origin", headers: headers, body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (r) {
        if (r.status === 204) { return null; }
        return r.json().catch(function () { return {}; }).then(function (j) {
          if (!r.ok) { var e = new Error(j.detail || String(r.status)); e.status = r.status; throw e; }
          return j;
        });
      });
  }

  function passKey(pass, salt, iterations) {
    return subtle.importKey("raw", enc.encode(pass), "PBKDF2", false, ["deriveKey"]).then(function (base) {
      return subtle.deriveKey({ name: "PBKDF2", hash: "SHA-256", salt: salt, iterations: iterations }, base, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
    });
  }
  function keyAAD() { return enc.encode("strongroom/seal-key/v1|" + me); }
  function noteAAD(id) { return enc.encode("strongroom/sealed-note/v1|" + id); }
  function envelopeInfo(id, recipient) { return enc.encode("strongroom/sealed-envelope/v1|" + id + "|" + recipient); }
  function importPrivate(jwk) {
    return subtle.importKey("jwk", { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, d: jwk.d }, { name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
  }
  function envelopeKey(shared, salt, info) {
    return subtle.importKey("raw", shared, "HKDF", false, ["deriveKey"]).then(function (h) {
      return subtle.deriveKey({ name: "HKDF", hash: "SHA-256", salt: salt, info: info }, h, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
    });
  }

  // The passkey unlock (WebAuthn PRF): a credential made for it alone, whose
  // PRF output for a stored salt is the key-wrapping secret.
  var passkeys = !!(window.PublicKeyCredential && navigator.credentials);
  function prfAAD() { return enc.encode("strongroom/seal-key/v1|" + me + "|prf"); }
  function prfKey(credentialID, salt) {
    return navigator.credentials.get({ publicKey: { challenge: random(32), allowCredentials: [{ type: "public-key", id: credentialID }],
      userVerification: "required", extensions: { prf: { eval: { first: salt } } } } }).then(function (a) {
      var ext = a.getClientExtensionResults(), out = ext.prf && ext.prf.results && ext.prf.results.first;
      if (!out) { var e = new Error(T.tNoPrf); e.plain = true; throw e; }
      return subtle.importKey("raw", out, "HKDF", false, ["deriveKey"]);
    }).then(function (h) {
      return subtle.deriveKey({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: enc.encode("strongroom/seal-key/prf/v1|" + me) }, h,
        { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
    });
  }
  // passphraseJWK opens my private key's JWK with the passphrase.
  function passphraseJWK(pass) {
    return passKey(pass, unb64(myRow.kdf_salt), myRow.kdf_iterations).then(function (k) {
      return subtle.decrypt({ name: "AES-GCM", iv: unb64(myRow.private_nonce), additionalData: keyAAD() }, k, unb64(myRow.private_ct)).catch(function () {
        var e = new Error(T.tWrongPassphrase);
        e.plain = true;
        throw e;
      });
    });
  }
  function unlocked(k) {
    myKey = k;
    unlockForm.hidden = true;
    unlockForm.reset();
    prfForm.hidden = !passkeys || !myRow || !!myRow.prf;
    return load();
  }

  // wrap seals the raw note key to a recipient's public key.
  function wrap(noteKey, publicKey, id, recipient) {
    var info = envelopeInfo(id, recipient), ephPub, nonce = random(12);
    return Promise.all([
      subtle.importKey("raw", publicKey, { name: "ECDH", namedCurve: "P-256" }, false, []),
      subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"])
    ]).then(function (k) {
      return subtle.exportKey("raw", k[1].publicKey).then(function (raw) {
        ephPub = new Uint8Array(raw);
        return subtle.deriveBits({ name: "ECDH", public: k[0] }, k[1].privateKey, 256);
      });
    }).then(function (shared) {
      return envelopeKey(shared, ephPub, info);
    }).then(function (wk) {
      return subtle.encrypt({ name: "AES-GCM", iv: nonce, additionalData: info }, wk, noteKey);
    }).then(function (ct) {
      return concat(new Uint8Array([1]), ephPub, nonce, new Uint8Array(ct));
    });
  }

  // unwrap opens my envelope of note id: its raw note key.
  function unwrap(envelope, id) {
    if (envelope.length !== ENVELOPE || envelope[0] !== 1) { return Promise.reject(new Error("tampered")); }
    var ephPub = envelope.slice(1, 66), info = envelopeInfo(id, me);
    return subtle.importKey("raw", ephPub, { name: "ECDH", namedCurve: "P-256" }, false, []).then(function (pub) {
      return subtle.deriveBits({ name: "ECDH", public: pub }, myKey, 256);
    }).then(function (shared) {
      return envelopeKey(shared, ephPub, info);
    }).then(function (wk) {
      return subtle.decrypt({ name: "AES-GCM", iv: envelope.slice(66, 78), additionalData: info }, wk, envelope.slice(78));
    }).then(function (raw) { return new Uint8Array(raw); });
  }

  // sealBody encrypts text under a new note key for every id in readers.
  function sealBody(id, text, readers) {
    var noteKey = random(32), nonce = random(12), out = { nonce: b64(nonce), envelopes: {} };
    return subtle.importKey("raw", noteKey, "AES-GCM", false, ["encrypt"]).then(function (k) {
      return subtle.encrypt({ name: "AES-GCM", iv: nonce, additionalData: noteAAD(id) }, k, enc.encode(text));
    }).then(function (ct) {
      out.ciphertext = b64(ct);
      return Promise.all(readers.map(function (r) {
        return wrap(noteKey, unb64(r.public_key), id, r.id).then(function (env) { out.envelopes[r.id] = b64(env); });
      }));
    }).then(function () { return out; });
  }

  // openNote fetches note id and opens it with my key.
  function openNote(id) {
    var note;
    return api("GET", "/sealed-notes/" + encodeURIComponent(id)).then(function (n) {
      note = n;
      return unwrap(unb64(n.envelope), id);
    }).then(function (noteKey) {
      note.key = noteKey;
      return subtle.importKey("raw", noteKey, "AES-GCM", false, ["decrypt"]);
    }).then(function (k) {
      return subtle.decrypt({ name: "AES-GCM", iv: unb64(note.nonce), additionalData: noteAAD(id) }, k, unb64(note.ciphertext));
    }).then(function (pt) {
      note.text = dec.decode(pt);
      return note;
    });
  }

  function recipientOf(id) {
    for (var i = 0; i < recipients.length; i++) { if (recipients[i].id === id) { return recipients[i]; } }
    return null;
  }
  function label(id) {
    if (id === "recovery") { return T.tRecovery; }
    var r = recipientOf(id);
    return r && r.email ? r.email : id;
  }
  function button(text, cls, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    if (cls) { b.className = cls; }
    b.addEventListener("click", onClick);
    return b;
  }
  // busy runs work with the page's controls of the section disabled, and
  // shows what failed: a GCM failure as the tampered message.
  function busy(work, done) {
    clearError();
    say(T.tWorking);
    var controls = root.querySelectorAll("button, input, textarea, select");
    controls.forEach(function (c) { c.disabled = true; });
    return Promise.resolve().then(work).then(function (msg) {
      say(done || msg || "");
    }).catch(function (e) {
      if (e && e.plain) {
        fail(e.message);
      } else if (e && (e.name === "OperationError" || e.name === "DataError" || e.message === "tampered")) {
        fail(T.tTampered); // AES-GCM refused it: altered, moved, or not sealed to my key
      } else {
        fail(T.tFailed + " " + (e && e.message || e));
      }
    }).then(function () {
      controls.forEach(function (c) { if (!c.dataset.fixed) { c.disabled = false; } });
    });
  }

  function renderReaders() {
    var box = el("sealed-readers");
    box.querySelectorAll("div").forEach(function (d) { d.remove(); });
    recipients.forEach(function (r) {
      var row = document.createElement("div"), cb = document.createElement("input"), lab = document.createElement("label");
      cb.type = "checkbox";
      cb.id = "sealed-to-" + r.id;
      cb.value = r.id;
      if (r.id === me || r.id === "recovery") { cb.checked = true; cb.disabled = true; cb.dataset.fixed = "1"; }
      lab.htmlFor = cb.id;
      lab.textContent = " " + label(r.id);
      row.appendChild(cb);
      row.appendChild(lab);
      box.appendChild(row);
    });
  }

  function renderNotes(notes) {
    list.textContent = "";
    list.hidden = false;
    if (!notes.length) {
      var none = document.createElement("li");
      none.className = "muted";
      none.textContent = T.tNone;
      list.appendChild(none);
      return;
    }
    notes.forEach(function (n) {
      var li = document.createElement("li"), meta = document.createElement("p"), body = document.createElement("div");
      li.id = "note-" + n.id;
      li.dataset.note = n.id;
      meta.className = "muted small";
      meta.textContent = new Date(n.created_at).toLocaleString(T.lang) + " · " + T.tBy + " " + label(n.author_id) + " · " + T.tTo + " " + n.recipients.map(label).join(", ") + " · " + n.size + " B";
      body.className = "multiline sealed-body";
      li.appendChild(meta);
      if (!n.readable) {
        var not = document.createElement("span");
        not.className = "badge";
        not.textContent = T.tNotYours;
        li.appendChild(not);
        list.appendChild(li);
        return;
      }
      li.appendChild(button(T.tOpen, "sealed-open", function () {
        busy(function () {
          return openNote(n.id).then(function (note) {
            body.textContent = note.text;
            li.appendChild(body);
            controlsFor(li, note);
          });
        }, "");
      }));
      list.appendChild(li);
    });
  }

  // controlsFor adds, below an opened note, sharing and removing readers.
  function controlsFor(li, note) {
    li.querySelectorAll(".sealed-controls").forEach(function (c) { c.remove(); });
    if (!recipients.length) { return; } // a reader who may not write or share
    var box = document.createElement("div"), sel = document.createElement("select"), lab = document.createElement("label");
    box.className = "sealed-controls";
    sel.id = "share-" + note.id;
    lab.htmlFor = sel.id;
    lab.textContent = T.tShare + " ";
    recipients.forEach(function (r) {
      if (note.recipients.indexOf(r.id) >= 0 || r.id === "recovery") { return; }
      var o = document.createElement("option");
      o.value = r.id;
      o.textContent = label(r.id);
      sel.appendChild(o);
    });
    if (sel.options.length) {
      box.appendChild(lab);
      box.appendChild(sel);
      box.appendChild(button(T.tShareButton, "sealed-share", function () {
        var r = recipientOf(sel.value);
        busy(function () {
          return wrap(note.key, unb64(r.public_key), note.id, r.id).then(function (env) {
            return api("POST", "/sealed-notes/" + encodeURIComponent(note.id) + "/recipients", { recipient_id: r.id, envelope: b64(env) });
          }).then(load);
        }, T.tShared);
      }));
    }
    // Only the author re-keys a note (the server refuses anyone else).
    (note.author_id === me ? note.recipients : []).forEach(function (id) {
      if (id === me || id === "recovery") { return; }
      box.appendChild(button(T.tRemove + " " + label(id), "sealed-remove", function () {
        busy(function () {
          // The recovery key, once set, is a reader of every re-keyed note,
          // also of one written before it was set.
          var keep = note.recipients.filter(function (x) { return x !== id && x !== "recovery"; }).concat(["recovery"]).map(recipientOf).filter(Boolean);
          return sealBody(note.id, note.text, keep).then(function (sealed) {
            sealed.key_version = note.key_version;
            return api("PUT", "/sealed-notes/" + encodeURIComponent(note.id), sealed);
          }).then(load);
        }, T.tRemoved);
      }));
    });
    li.appendChild(box);
  }

  // load reads whom notes may be sealed to (a role that may only read
  // sealed notes gets 403 there, and no form to write) and the notes.
  function load() {
    var mayWrite = true;
    return Promise.all([
      api("GET", "/customers/" + encodeURIComponent(customer) + "/sealed-recipients").catch(function (e) {
        if (e.status !== 403) { throw e; }
        mayWrite = false;
        return { recipients: [] };
      }),
      api("GET", "/customers/" + encodeURIComponent(customer) + "/sealed-notes")
    ]).then(function (res) {
      recipients = res[0].recipients || [];
      renderReaders();
      renderNotes(res[1].notes || []);
      writeForm.hidden = !mayWrite;
    });
  }

  function start() {
    if (started) { return; }
    started = true;
    if (!subtle || !window.fetch) { fail(T.tNoWebcrypto); return; }
    api("GET", "/me/seal-key").then(function (k) {
      myRow = k;
      unlockForm.hidden = false;
      passkeyUnlock.hidden = !(passkeys && k.prf);
    }).catch(function (e) {
      if (e.status === 404) { setupForm.hidden = false; return; }
      fail(T.tFailed + " " + e.message);
    });
  }

  setupForm.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var pass = el("sealed-new-pass").value;
    if (pass.length < 12) { fail(T.tShort); return; }
    if (pass !== el("sealed-new-pass2").value) { fail(T.tMismatch); return; }
    busy(function () {
      var salt = random(16), nonce = random(12), pair, jwk;
      return subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]).then(function (p) {
        pair = p;
        return subtle.exportKey("jwk", p.privateKey);
      }).then(function (j) {
        jwk = j;
        return passKey(pass, salt, ITERATIONS);
      }).then(function (k) {
        var plain = JSON.stringify({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, d: jwk.d });
        return Promise.all([subtle.encrypt({ name: "AES-GCM", iv: nonce, additionalData: keyAAD() }, k, enc.encode(plain)), subtle.exportKey("raw", pair.publicKey)]);
      }).then(function (r) {
        return api("PUT", "/me/seal-key", { public_key: b64(r[1]), private_ct: b64(r[0]), private_nonce: b64(nonce), kdf: "PBKDF2-SHA256", kdf_salt: b64(salt), kdf_iterations: ITERATIONS });
      }).then(function () {
        return importPrivate(jwk);
      }).then(function (k) {
        jwk = null;
        setupForm.hidden = true;
        setupForm.reset();
        return api("GET", "/me/seal-key").then(function (row) { myRow = row; return unlocked(k); });
      });
    }, T.tReady);
  });

  unlockForm.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var pass = el("sealed-pass").value;
    busy(function () {
      return passphraseJWK(pass).then(function (plain) {
        return importPrivate(JSON.parse(dec.decode(plain)));
      }).then(unlocked);
    }, T.tReady);
  });

  passkeyUnlock.addEventListener("click", function () {
    busy(function () {
      var p = myRow.prf;
      return prfKey(unb64(p.credential_id), unb64(p.salt)).then(function (k) {
        return subtle.decrypt({ name: "AES-GCM", iv: unb64(p.private_nonce), additionalData: prfAAD() }, k, unb64(p.private_ct));
      }).then(function (plain) {
        return importPrivate(JSON.parse(dec.decode(plain)));
      }).then(unlocked);
    }, T.tReady);
  });

  prfForm.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var pass = el("sealed-prf-pass").value, plain, credentialID, salt = random(32), nonce = random(12);
    busy(function () {
      return passphraseJWK(pass).then(function (p) {
        plain = p;
        return navigator.credentials.create({ publicKey: {
          rp: { name: "Strongroom" }, challenge: random(32),
          user: { id: random(16), name: "sealed-notes", displayName: "Strongroom sealed notes" },
          pubKeyCredParams: [{ type: "public-key", alg: -7 }, { type: "public-key", alg: -257 }],
          authenticatorSelection: { userVerification: "required" }, extensions: { prf: {} } } });
      }).then(function (cred) {
        var ext = cred.getClientExtensionResults();
        if (!ext.prf || !ext.prf.enabled) { var e = new Error(T.tNoPrf); e.plain = true; throw e; }
        credentialID = new Uint8Array(cred.rawId);
        return prfKey(credentialID, salt);
      }).then(function (k) {
        return subtle.encrypt({ name: "AES-GCM", iv: nonce, additionalData: prfAAD() }, k, plain);
      }).then(function (ct) {
        plain = null;
        return api("PUT", "/me/seal-key/prf", { credential_id: b64(credentialID), salt: b64(salt), private_ct: b64(ct), private_nonce: b64(nonce) });
      }).then(function () {
        prfForm.hidden = true;
        prfForm.reset();
        return api("GET", "/me/seal-key").then(function (row) { myRow = row; });
      });
    }, T.tPrfAdded);
  });

  writeForm.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = el("sealed-text").value;
    if (!text.trim()) { fail(T.tEmpty); return; }
    var chosen = Array.prototype.filter.call(el("sealed-readers").querySelectorAll("input[type=checkbox]"), function (c) { return c.checked; })
      .map(function (c) { return recipientOf(c.value); }).filter(Boolean);
    var id = "snt_" + hex(random(16));
    busy(function () {
      return sealBody(id, text, chosen).then(function (sealed) {
        sealed.id = id;
        return api("POST", "/customers/" + encodeURIComponent(customer) + "/sealed-notes", sealed);
      }).then(function () {
        writeForm.reset();
        return load();
      });
    }, T.tSaved);
  });

  root.addEventListener("toggle", function () { if (root.open) { start(); } });
  if (root.open) { start(); }
})();
