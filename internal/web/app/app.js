// Strongroom's field app: this week's visits and their stores, check-in and
// check-out with the device's location, notes — offline too.
//
// Keys (WebCrypto, all non-extractable where the browser allows):
// - an ECDSA P-256 key pair made at enrolment; the server binds the
//   device's token to it, and every API call carries a DPoP proof (RFC 9449)
//   signed with it, so a copied token is useless elsewhere;
// - a device key (AES-GCM 256) under which everything kept in IndexedDB is
//   encrypted; it is stored only wrapped with the lease key;
// - the lease key: the secret the server hands out at each contact, kept
//   only until the offline lease ends. Past the lease, or once the server
//   says the device is locked, it is deleted and the copy cannot be read.
"use strict";

const APP_VERSION = "1.0.0";
const MAX_PHOTO = 8 << 20; // the server's limit (records.MaxPhoto)
const DB = "strongroom-field";
const enc = new TextEncoder();
const dec = new TextDecoder();

// The app speaks English and Simplified Chinese, as the browser prefers.
const LANG = (navigator.language || "en").toLowerCase().startsWith("zh") ? "zh-CN" : "en";
const TEXT = {
  en: {
    title: "Strongroom field app", enrol_title: "Enrol this device",
    enrol_hint: "Log in to Strongroom in this browser first, then name this device. A key pair is made here and never leaves it.",
    device_name: "Device name", platform: "Platform", enrol: "Enrol", log_in: "Log in", refresh: "Refresh", sync: "Sync now",
    visits: "Visits this week", conflicts: "Conflicts", starting: "Starting…",
    locked: "This device is locked: its offline data is no longer readable. Ask your administrator.",
    login: "Your device token has ended: log in again, then press Enrol to resume this device.",
    wiped: "This device was wiped: its data and keys are deleted, and the wipe is confirmed.",
    wiped_unconfirmed: "This device was wiped; the confirmation did not reach the server.",
    expired: "The offline copy is locked: the offline lease has ended. Connect to renew it.",
    checkin: "Check in", checkout: "Check out", save_note: "Save note", no_visits: "No visits planned this week.",
    ready: "Up to date.", offline: "Offline: changes are kept encrypted on this device and synced when back online.",
    not_enrolled: "This device is not enrolled.", checked_in_pending: "checked in (to sync)", checked_out_pending: "checked out (to sync)",
    to_sync: "to sync", synced: "synced", net_online: "online", net_offline: "offline",
    enrol_refused: "Enrolment refused:", load_failed: "Enrolled, but the visits could not be loaded:", failed: "The app failed:",
    status_planned: "planned", status_in_progress: "checked in", status_done: "done",
    add_photo: "Add a photo", photo_refused: "A photo must be a JPEG, PNG or WebP image of at most 8 MiB.",
  },
  "zh-CN": {
    title: "Strongroom 外勤应用", enrol_title: "登记此设备",
    enrol_hint: "请先在此浏览器中登录 Strongroom，然后为此设备命名。密钥对在本机生成，永不离开本机。",
    device_name: "设备名称", platform: "平台", enrol: "登记", log_in: "登录", refresh: "刷新", sync: "立即同步",
    visits: "本周拜访", conflicts: "冲突", starting: "正在启动…",
    locked: "此设备已被锁定：其离线数据已无法读取。请联系管理员。",
    login: "设备令牌已失效：请重新登录，然后点击“登记”以恢复此设备。",
    wiped: "此设备已擦除：其数据和密钥已删除，擦除已确认。",
    wiped_unconfirmed: "此设备已擦除，但确认未能送达服务器。",
    expired: "离线副本已锁定：离线租期已结束。请联网续期。",
    checkin: "签到", checkout: "签退", save_note: "保存备注", no_visits: "本周没有计划的拜访。",
    ready: "已是最新。", offline: "离线：更改已加密保存在本设备上，联网后同步。",
    not_enrolled: "此设备尚未登记。", checked_in_pending: "已签到（待同步）", checked_out_pending: "已签退（待同步）",
    to_sync: "项待同步", synced: "已同步", net_online: "在线", net_offline: "离线",
    enrol_refused: "登记被拒绝：", load_failed: "已登记，但无法加载拜访：", failed: "应用出错：",
    status_planned: "已计划", status_in_progress: "已签到", status_done: "已完成",
    add_photo: "添加照片", photo_refused: "照片须为 JPEG、PNG 或 WebP 格式，且不超过 8 MiB。",
  },
};
function t(key) { return TEXT[LANG][key] || TEXT.en[key] || key; }

class Stop extends Error {} // the device was locked or wiped: stop everything

// --- IndexedDB: one key-value store --------------------------------------
function idb() {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open(DB, 1);
    r.onupgradeneeded = () => r.result.createObjectStore("kv");
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}
async function kv(mode, fn) {
  const db = await idb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction("kv", mode);
    const req = fn(tx.objectStore("kv"));
    tx.oncomplete = () => { db.close(); resolve(req && req.result); };
    tx.onerror = () => { db.close(); reject(tx.error); };
  });
}
const get = (k) => kv("readonly", (s) => s.get(k));
const put = (k, v) => kv("readwrite", (s) => s.put(v, k));
const del = (...keys) => kv("readwrite", (s) => { keys.forEach((k) => s.delete(k)); });

// --- encoding -------------------------------------------------------------
function b64url(bytes) {
  let s = "";
  new Uint8Array(bytes).forEach((b) => { s += String.fromCharCode(b); });
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
function unb64url(s) {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

// --- DPoP -----------------------------------------------------------------
async function proof(method, url, token) {
  const keys = await get("sign");
  const jwk = await crypto.subtle.exportKey("jwk", keys.publicKey);
  const header = { typ: "dpop+jwt", alg: "ES256", jwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } };
  const claims = { htm: method, htu: url, iat: Math.floor(Date.now() / 1000), jti: b64url(crypto.getRandomValues(new Uint8Array(16))) };
  if (token) {
    claims.ath = b64url(await crypto.subtle.digest("SHA-256", enc.encode(token)));
  }
  const input = b64url(enc.encode(JSON.stringify(header))) + "." + b64url(enc.encode(JSON.stringify(claims)));
  const sig = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, keys.privateKey, enc.encode(input));
  return input + "." + b64url(sig);
}

// api calls the API as this device. A wipe order or a lock ends here.
async function api(method, path, body) {
  const dev = await get("device");
  if (!dev) { throw new Stop("not enrolled"); }
  const url = location.origin + path;
  const headers = { "Authorization": "DPoP " + dev.token, "DPoP": await proof(method, url, dev.token) };
  let payload;
  if (body instanceof Blob) {
    headers["Content-Type"] = body.type;
    payload = body;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const resp = await fetch(url, { method, headers, body: payload, cache: "no-store" });
  const state = resp.headers.get("Strongroom-Device-State");
  if (resp.status === 410 && state === "wipe") {
    await wipe(await resp.json());
    throw new Stop("wiped");
  }
  if (resp.status === 403 && (state === "locked" || state === "wiped")) {
    await forget();
    show("locked", t("locked"));
    throw new Stop(state);
  }
  if (resp.status === 401) {
    show("login", t("login"));
    document.getElementById("enrol-name").value = dev.name || "";
    document.getElementById("enrol-platform").value = dev.platform || "";
    document.getElementById("enrol").hidden = false;
    throw new Stop("login");
  }
  return resp;
}

async function problem(resp) {
  try { return (await resp.json()).detail || resp.statusText; } catch (e) { return resp.statusText; }
}

// --- keys -----------------------------------------------------------------
// renewLease fetches the lease secret, makes the device key at the first
// lease, and keeps the lease key until the lease ends.
async function renewLease() {
  let place;
  const pos = await position(3000);
  if (pos) { place = { lat: pos.lat, lon: pos.lon }; }
  const resp = await api("POST", "/api/v1/devices/current/lease", place ? { place } : {});
  if (!resp.ok) { throw new Error(await problem(resp)); }
  const lease = await resp.json();
  const leaseKey = await crypto.subtle.importKey("raw", unb64url(lease.secret), { name: "AES-GCM" }, false, ["wrapKey", "unwrapKey"]);
  if (!(await get("wrapped"))) {
    const dk = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt", "decrypt"]);
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const data = await crypto.subtle.wrapKey("raw", dk, leaseKey, { name: "AES-GCM", iv });
    await put("wrapped", { iv, data });
  }
  await put("lease", { key: leaseKey, expires: Date.parse(lease.expires_at) });
}

// deviceKey unwraps the device key, or returns null once the lease has
// ended (the lease key is deleted then) or when there is none.
async function deviceKey() {
  const lease = await get("lease");
  const wrapped = await get("wrapped");
  if (!lease || !wrapped) { return null; }
  if (Date.now() >= lease.expires) {
    await del("lease");
    return null;
  }
  return crypto.subtle.unwrapKey("raw", wrapped.data, lease.key, { name: "AES-GCM", iv: wrapped.iv }, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
}

async function seal(key, name, value) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: enc.encode(name) }, key, enc.encode(JSON.stringify(value)));
  await put(name, { iv, ct });
}
async function open(key, name, empty) {
  const box = await get(name);
  if (!box) { return empty; }
  const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv: box.iv, additionalData: enc.encode(name) }, key, box.ct);
  return JSON.parse(dec.decode(pt));
}

// forget deletes what makes the offline copy readable, and the copy.
async function forget() {
  await del("lease", "wrapped", "visits", "queue", "conflicts", "device");
  await put("locked", true);
}

// wipe obeys a wipe order: every trace of the app's data and keys goes,
// then the server is told, with the order's one-time code.
async function wipe(order) {
  await new Promise((resolve) => {
    const r = indexedDB.deleteDatabase(DB);
    r.onsuccess = r.onerror = r.onblocked = () => resolve();
  });
  if (window.caches) {
    for (const k of await caches.keys()) { await caches.delete(k); }
  }
  const resp = await fetch("/api/v1/devices/" + encodeURIComponent(order.device_id) + "/wipe-confirmation", {
    method: "POST", headers: { "Content-Type": "application/json" }, credentials: "omit",
    body: JSON.stringify({ confirmation_code: order.confirmation_code }),
  });
  document.getElementById("work").hidden = true;
  show("wiped", t(resp.ok ? "wiped" : "wiped_unconfirmed"));
}

// --- location -------------------------------------------------------------
function position(timeout) {
  return new Promise((resolve) => {
    if (!navigator.geolocation) { resolve(null); return; }
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: +p.coords.latitude.toFixed(6), lon: +p.coords.longitude.toFixed(6), accuracy: Math.round(p.coords.accuracy) }),
      () => resolve(null), { enableHighAccuracy: true, timeout, maximumAge: 60000 });
  });
}

// --- the work -------------------------------------------------------------
function day(offset) {
  const d = new Date(Date.now() + offset * 86400000);
  return d.toISOString().slice(0, 10);
}

async function fetchVisits() {
  const key = await deviceKey();
  if (!key) { return; }
  const resp = await api("GET", "/api/v1/visits?from=" + day(0) + "&to=" + day(6));
  if (!resp.ok) { throw new Error(await problem(resp)); }
  const items = (await resp.json()).items || [];
  await seal(key, "visits", items);
}

async function queue(op) {
  const key = await deviceKey();
  if (!key) { show("expired", t("expired")); return; }
  const q = await open(key, "queue", []);
  op.at = new Date().toISOString();
  q.push(op);
  await seal(key, "queue", q);
  if (navigator.onLine) { await syncNow(); } else { await render(); }
}

// sync applies the queued changes through the normal API, in order; a
// change the server refuses (e.g. checked in already from elsewhere) is
// kept as a conflict for the user to see.
async function sync() {
  const key = await deviceKey();
  if (!key) { return; }
  const q = await open(key, "queue", []);
  const conflicts = await open(key, "conflicts", []);
  while (q.length) {
    const op = q[0];
    let resp;
    try {
      if (op.kind === "photo") {
        resp = await api("POST", "/api/v1/visits/" + encodeURIComponent(op.visit) + "/photos", new Blob([unb64url(op.data)], { type: op.type }));
      } else if (op.kind === "notes") {
        resp = await api("PATCH", "/api/v1/visits/" + encodeURIComponent(op.visit), { notes: op.notes });
      } else {
        resp = await api("POST", "/api/v1/visits/" + encodeURIComponent(op.visit) + "/" + op.kind, op.location ? { location: op.location } : {});
      }
    } catch (e) {
      if (e instanceof Stop) { throw e; }
      break; // offline again: keep the rest
    }
    if (!resp.ok && resp.status >= 500) { break; }
    if (!resp.ok) { conflicts.push({ op, detail: await problem(resp) }); }
    q.shift();
    await seal(key, "queue", q);
    await seal(key, "conflicts", conflicts);
  }
}

async function syncNow() {
  try {
    await sync();
    await fetchVisits();
  } catch (e) {
    if (e instanceof Stop) { return; }
  }
  await render();
}

function show(state, text) {
  const s = document.getElementById("status");
  s.dataset.state = state;
  s.textContent = text;
  s.className = ["locked", "expired", "wiped", "login"].includes(state) ? "status-bad" : "";
}

function el(tag, props, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, props || {});
  children.forEach((c) => e.append(c));
  return e;
}

async function render() {
  document.getElementById("net").textContent = t(navigator.onLine ? "net_online" : "net_offline");
  const list = document.getElementById("visits");
  const clist = document.getElementById("conflicts");
  list.replaceChildren();
  clist.replaceChildren();
  const key = await deviceKey();
  if (!key) {
    document.getElementById("work").hidden = true;
    if ((await get("wrapped"))) {
      show("expired", t("expired"));
    }
    return;
  }
  document.getElementById("work").hidden = false;
  document.getElementById("enrol").hidden = true;
  const visits = await open(key, "visits", []);
  const q = await open(key, "queue", []);
  const conflicts = await open(key, "conflicts", []);
  const qc = document.getElementById("queue-count");
  qc.textContent = q.length ? q.length + " " + t("to_sync") : t("synced");
  qc.dataset.pending = String(q.length);
  for (const v of visits) {
    const pending = q.filter((op) => op.visit === v.id).map((op) => op.kind);
    let status = t("status_" + v.status);
    if (pending.includes("checkout")) { status = t("checked_out_pending"); } else if (pending.includes("checkin")) { status = t("checked_in_pending"); }
    const li = el("li", { id: "visit-" + v.id });
    li.append(el("strong", { className: "store" }, v.store_name || v.company_id), " ",
      el("span", { className: "when" }, v.planned_for), " ", el("span", { className: "visit-status" }, status));
    const ci = el("button", { type: "button", id: "checkin-" + v.id, textContent: t("checkin"), disabled: !!v.checkin_at || pending.includes("checkin") });
    ci.addEventListener("click", async () => queue({ kind: "checkin", visit: v.id, location: await position(5000) }));
    const co = el("button", { type: "button", id: "checkout-" + v.id, textContent: t("checkout"), disabled: !!v.checkout_at || pending.includes("checkout") });
    co.addEventListener("click", async () => queue({ kind: "checkout", visit: v.id, location: await position(5000) }));
    const notes = el("textarea", { id: "notes-" + v.id, value: v.notes || "", maxLength: 4000 });
    const save = el("button", { type: "button", id: "save-notes-" + v.id, textContent: t("save_note") });
    save.addEventListener("click", () => queue({ kind: "notes", visit: v.id, notes: notes.value }));
    const photo = el("input", { type: "file", id: "photo-" + v.id, accept: "image/jpeg,image/png,image/webp" });
    photo.setAttribute("capture", "environment");
    photo.addEventListener("change", async () => {
      const f = photo.files[0];
      if (!f) { return; }
      if (f.size > MAX_PHOTO || !["image/jpeg", "image/png", "image/webp"].includes(f.type)) {
        show("error", t("photo_refused"));
        return;
      }
      await queue({ kind: "photo", visit: v.id, type: f.type, data: b64url(await f.arrayBuffer()) });
    });
    li.append(el("div", {}, ci, co), notes, save, el("label", {}, t("add_photo") + " ", photo));
    list.append(li);
  }
  if (!visits.length) { list.append(el("li", { textContent: t("no_visits") })); }
  for (const c of conflicts) {
    clist.append(el("li", { className: "conflict", textContent: c.op.kind + " " + c.op.visit + " (" + c.op.at + "): " + c.detail }));
  }
  show(navigator.onLine ? "ready" : "offline", t(navigator.onLine ? "ready" : "offline"));
}

async function enrol(ev) {
  ev.preventDefault();
  let keys = await get("sign");
  if (!keys) {
    keys = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
    await put("sign", keys);
  }
  const url = location.origin + "/api/v1/devices";
  const resp = await fetch(url, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "DPoP": await proof("POST", url, "") },
    body: JSON.stringify({ name: document.getElementById("enrol-name").value, platform: document.getElementById("enrol-platform").value, app_version: APP_VERSION }),
  });
  if (!resp.ok) {
    show("enrol", t("enrol_refused") + " " + (await problem(resp)));
    return;
  }
  const j = await resp.json();
  await put("device", { id: j.device.id, token: j.access_token, name: j.device.name, platform: j.device.platform });
  await del("locked");
  try {
    await renewLease();
    await sync(); // what was queued while the token had ended
    await fetchVisits();
  } catch (e) {
    if (e instanceof Stop) { return; }
    show("error", t("load_failed") + " " + e.message);
    return;
  }
  await render();
}

async function start() {
  document.documentElement.lang = LANG;
  document.title = t("title");
  document.querySelectorAll("[data-t]").forEach((e) => { e.textContent = t(e.dataset.t); });
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch(() => {});
  }
  document.getElementById("enrol-form").addEventListener("submit", enrol);
  document.getElementById("enrol-platform").value = navigator.userAgentData ? navigator.userAgentData.platform : navigator.platform;
  document.getElementById("refresh").addEventListener("click", () => (navigator.onLine ? start2() : render()));
  document.getElementById("sync").addEventListener("click", syncNow);
  window.addEventListener("online", start2);
  window.addEventListener("offline", render);
  await start2();
}

// start2 renews the lease, syncs and reloads when online, then shows what
// can be read.
async function start2() {
  if (!(await get("device"))) {
    document.getElementById("work").hidden = true;
    if (await get("locked")) {
      show("locked", t("locked"));
      return;
    }
    document.getElementById("enrol").hidden = false;
    show("enrol", t("not_enrolled"));
    return;
  }
  if (navigator.onLine) {
    try {
      await renewLease();
      await sync();
      await fetchVisits();
    } catch (e) {
      if (e instanceof Stop) { return; }
      // offline after all, or the server is unreachable: the copy, while the lease lasts
    }
  }
  await render();
}

document.addEventListener("DOMContentLoaded", () => { start().catch((e) => show("error", t("failed") + " " + e.message)); });
