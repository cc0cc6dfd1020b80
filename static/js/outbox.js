// The outbox (ADR 0018): changes made with no connection are kept in this browser and sent when
// it returns. Loaded on every page of a signed-in user (templates/base.html); it
// - registers the service worker (templates/offline/sw.js) and asks it to keep the pages of the
//   user's current events;
// - on the attendance grid, applies a tap on screen and queues it in IndexedDB when offline (or
//   when older changes still wait, so the order is kept), with an idempotency key;
// - on the scores entry, paper-feedback entry and new-person registration pages
//   (form[data-outbox-form]), saving the form in the same situation queues one change per
//   changed row / per typed-in form; a refused registration can be filled back into the
//   registration form (#fill-<key>) to decide online;
// - on the feedback kiosk, every answer is queued (online too, so order and exactly-once hold),
//   the form is emptied and a "thank you, next person" screen shown;
// - sends the queue in order to /offline/sync/ on page load, when the browser comes online and
//   every 10 seconds while something waits; applied changes leave the queue, refused ones are
//   listed with the server's reason until discarded;
// - warns before logging out with unsent changes (the queue is kept for the next sign-in).
// Each user has their own database ("qadam-outbox-<user id>"): nobody else's queue is shown or
// sent. No library, no build step.
(function () {
  "use strict";
  var body = document.body;
  var userId = body.dataset.outboxUser;
  if (!userId || !window.indexedDB) { return; }
  var SYNC_URL = body.dataset.outboxSync;
  var DB_NAME = "qadam-outbox-" + userId;
  var RETRY_MS = 10000;
  var BATCH = 200;
  var pending = 0;
  var flushing = false;
  var dbPromise = null;

  // --- IndexedDB ------------------------------------------------------------------------
  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          var db = request.result;
          db.createObjectStore("queue", { keyPath: "seq", autoIncrement: true });
          db.createObjectStore("refused", { keyPath: "key" });
          db.createObjectStore("meta");
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return dbPromise;
  }

  function run(storeName, mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(storeName, mode);
        var request = work(tx.objectStore(storeName));
        tx.oncomplete = function () { resolve(request ? request.result : undefined); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  function all(storeName) { return run(storeName, "readonly", function (s) { return s.getAll(); }); }

  // --- The status area on the grid -------------------------------------------------------
  var area = document.querySelector("[data-outbox-grid]");

  function text(name) { return area ? area.getAttribute("data-text-" + name) || "" : ""; }

  function pendingText(n) {
    var category = "other";
    try {
      category = new Intl.PluralRules(document.documentElement.lang || undefined).select(n);
    } catch (e) { /* an old browser: "other" */ }
    return (text("pending_" + category) || text("pending_other")).replace("__n__", n);
  }

  function timeText(iso) {
    return new Date(iso).toLocaleTimeString(document.documentElement.lang || undefined,
      { hour: "2-digit", minute: "2-digit" });
  }

  function render() {
    return Promise.all([all("queue"), all("refused"),
      run("meta", "readonly", function (s) { return s.get("lastSent"); })]).then(function (got) {
      pending = got[0].length;
      if (!area) { return; }
      var parts = [];
      if (pending) { parts.push(pendingText(pending)); }
      else if (got[2]) { parts.push(text("all_sent")); }
      if (!navigator.onLine) { parts.push(text("offline")); }
      if (formsQueued && pending && text(formsQueued)) { parts.push(text(formsQueued)); }
      if (got[2]) { parts.push(text("last_sent").replace("__time__", timeText(got[2]))); }
      var status = document.getElementById("outbox-status");
      var line = parts.join(" ");
      if (status.textContent !== line) { status.textContent = line; }
      renderRefused(got[1]);
    });
  }

  function renderRefused(items) {
    var section = document.getElementById("outbox-refused");
    var list = section.querySelector("ul");
    list.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.className = "d-flex flex-wrap gap-2 align-items-center mb-1";
      var what = document.createElement("span");
      what.textContent = typeof item.present === "boolean" ?
        item.label + " (" + text(item.present ? "present" : "absent") + "): " + item.reason :
        item.label + ": " + item.reason;
      var discard = document.createElement("button");
      discard.type = "button";
      discard.className = "btn btn-sm btn-outline-dark";
      discard.textContent = text("discard");
      discard.setAttribute("aria-label", text("discard") + ": " + item.label);
      discard.addEventListener("click", function () {
        run("refused", "readwrite", function (s) { return s.delete(item.key); }).then(render);
      });
      li.appendChild(what);
      if (item.kind === "register" && item.event) {
        // Decide online: the registration form filled in again with what was typed.
        var fix = document.createElement("a");
        fix.className = "btn btn-sm btn-primary";
        fix.href = REGISTER_URL.replace("__event__", item.event) + "#fill-" + item.key;
        fix.textContent = text("fix_in_form");
        fix.setAttribute("aria-label", text("fix_in_form") + ": " + item.label);
        li.appendChild(fix);
      }
      li.appendChild(discard);
      list.appendChild(li);
    });
    section.hidden = items.length === 0;
  }

  // --- Queueing a tap on the grid --------------------------------------------------------
  function cellLabel(box) {
    var label = document.querySelector("label[for='" + box.id + "']");
    return label ? label.textContent.trim() : box.value;
  }

  function showPresent(box, present) {
    box.checked = present;
    var cell = box.closest("td");
    if (!cell || cell.classList.contains("is-present") === present) { return; }
    cell.classList.toggle("is-present", present);
    // The session's count of people present, in the grid's header.
    var count = document.getElementById("count-" + box.value.split("-")[1]);
    var n = count ? parseInt(count.textContent, 10) : NaN;
    if (!isNaN(n)) { count.textContent = String(Math.max(0, n + (present ? 1 : -1))); }
  }

  function newKey() {
    if (window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = window.crypto.getRandomValues(new Uint8Array(16));  // not a secure context
    return Array.prototype.map.call(bytes, function (b) {
      return (b + 256).toString(16).slice(1);
    }).join("");
  }

  function enqueue(box) {
    var ids = box.value.split("-");
    var change = {
      key: newKey(),
      kind: "attendance",
      enrolment: parseInt(ids[0], 10),
      session: parseInt(ids[1], 10),
      present: box.checked,
      label: cellLabel(box),
      queued_at: new Date().toISOString()
    };
    pending += 1;
    showPresent(box, change.present);
    return run("queue", "readwrite", function (s) { return s.add(change); }).then(render);
  }

  // htmx is about to send a tap: with no connection, or with older changes still waiting (they
  // must reach the server first), the tap goes to the queue instead.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var box = event.detail && event.detail.elt;
    if (!box || !box.matches || !box.matches(".attendance-check")) { return; }
    if (!navigator.onLine || pending > 0) {
      event.preventDefault();
      enqueue(box).then(flush);
    }
  });
  // "All present" with no connection: every box of that session not ticked yet is ticked and
  // queued, one change each (what the server's mark_all_present would have done).
  document.addEventListener("htmx:beforeRequest", function (event) {
    var button = event.detail && event.detail.elt;
    if (!button || !button.id || button.id.indexOf("all-present-") !== 0) { return; }
    if (navigator.onLine && pending === 0) { return; }
    event.preventDefault();
    var session = button.value;
    var boxes = document.querySelectorAll(".attendance-check");
    var work = Promise.resolve();
    boxes.forEach(function (box) {
      if (box.value.split("-")[1] === session && !box.checked) {
        box.checked = true;
        work = work.then(function () { return enqueue(box); });
      }
    });
    work.then(flush);
  });
  // The connection dropped while it was being sent: queue it (an answer that was lost after
  // the server applied it is harmless: the same state is set again).
  document.addEventListener("htmx:sendError", function (event) {
    var box = event.detail && event.detail.elt;
    if (box && box.matches && box.matches(".attendance-check")) { enqueue(box); }
  });

  // A page shown from the service worker's copy shows the state of when it was kept: put the
  // queued taps back on it.
  function replayQueue() {
    return all("queue").then(function (items) {
      items.forEach(function (item) {
        if (item.kind === "scores") {
          scoreRows(document).forEach(function (r) {
            if (r.enrolment === item.enrolment) { showScores(r, item.pre_score, item.post_score); }
          });
          return;
        }
        var box = document.getElementById("a-" + item.enrolment + "-" + item.session);
        if (box) { showPresent(box, item.present); }
      });
    });
  }

  // --- Saving the scores grid or a paper feedback form ------------------------------------
  var formsQueued = "";  // the text said under the status once a form is queued
  // The registration page of an event (participants:roster_new), where a refused registration
  // is filled in again; as sw.js, the path is the app's own.
  var REGISTER_URL = "/people/events/__event__/roster/new/";

  function scoreRows(form) {
    return Array.prototype.map.call(form.querySelectorAll("tbody tr"), function (row) {
      var hidden = row.querySelector("input[type=hidden][name$='-enrolment']");
      return { row: row, enrolment: hidden ? parseInt(hidden.value, 10) : NaN,
        pre: row.querySelector("input[name$='-pre_score']"),
        post: row.querySelector("input[name$='-post_score']") };
    }).filter(function (r) { return !isNaN(r.enrolment) && r.pre && r.post; });
  }

  function showScores(r, pre, post) {
    r.pre.value = r.pre.defaultValue = pre;
    r.post.value = r.post.defaultValue = post;
  }

  function queueScores(form) {
    var changes = [];
    scoreRows(form).forEach(function (r) {
      if (r.pre.value === r.pre.defaultValue && r.post.value === r.post.defaultValue) { return; }
      var name = r.row.querySelector("th") ? r.row.querySelector("th").textContent.trim() : "";
      var pre = r.pre.value.trim();
      var post = r.post.value.trim();
      changes.push({ key: newKey(), kind: "scores", enrolment: r.enrolment, pre_score: pre,
        post_score: post, queued_at: new Date().toISOString(),
        label: name + " (" + text("score_before") + " " + (pre || "–") + ", " +
          text("score_after") + " " + (post || "–") + ")" });
      showScores(r, r.pre.value, r.post.value);
    });
    return changes;
  }

  function queuePaperFeedback(form) {
    if (form.checkValidity && !form.checkValidity()) {
      form.reportValidity();
      return null;
    }
    var answers = {};
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken" && typeof value === "string") { answers[name] = value; }
    });
    var person = form.querySelector("select[name=enrolment]");
    var label = text("paper_form");
    if (person && person.value && person.selectedOptions.length) {
      label += " (" + person.selectedOptions[0].textContent.trim() + ")";
    }
    form.reset();
    return [{ key: newKey(), kind: "paper_feedback", event: parseInt(form.dataset.event, 10),
      answers: answers, label: label, queued_at: new Date().toISOString() }];
  }

  function queueRegistration(form, submitter) {
    if (form.checkValidity && !form.checkValidity()) {
      form.reportValidity();
      return null;
    }
    var answers = {};
    // With the button pressed: "create anyway" after the page showed likely duplicates.
    var data = submitter ? new FormData(form, submitter) : new FormData(form);
    data.forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken" && typeof value === "string") { answers[name] = value; }
    });
    var name = (answers.full_name || "").trim();
    form.reset();
    return [{ key: newKey(), kind: "register", event: parseInt(form.dataset.event, 10),
      answers: answers, label: text("new_person") + (name ? ": " + name : ""),
      queued_at: new Date().toISOString() }];
  }

  // A refused registration opened in the form (#fill-<key>): its fields as they were typed,
  // to send online, where the page shows the likely duplicates to choose from.
  function fillFromRefused() {
    var match = /^#fill-(.+)$/.exec(location.hash);
    var form = document.querySelector("form[data-outbox-form=register]");
    if (!match || !form) { return Promise.resolve(); }
    return run("refused", "readonly", function (s) {
      return s.get(decodeURIComponent(match[1]));
    }).then(function (item) {
      if (!item || !item.answers) { return; }
      Array.prototype.forEach.call(form.elements, function (field) {
        if (!field.name || field.name === "csrfmiddlewaretoken" || field.type === "submit") {
          return;
        }
        var value = item.answers[field.name];
        if (field.type === "checkbox" || field.type === "radio") {
          field.checked = value !== undefined && (field.value === value ||
            (field.type === "checkbox" && value === "on"));
        } else if (value !== undefined) {
          field.value = value;
        }
      });
      var first = form.querySelector("input:not([type=hidden]), select, textarea");
      if (first) { first.focus(); }
    });
  }
  window.addEventListener("hashchange", fillFromRefused);

  // --- The feedback kiosk ----------------------------------------------------------------
  // Participants answer one after another on this device: an answer leaves nothing behind on
  // screen (the form is emptied, defaults too, so neither a reload nor the back button shows it).
  function emptyKiosk(form) {
    form.reset();
    form.querySelectorAll("input[type=radio], input[type=checkbox]").forEach(function (box) {
      box.checked = box.defaultChecked = false;
    });
    form.querySelectorAll("textarea, input[type=text]").forEach(function (field) {
      field.value = field.defaultValue = "";
    });
  }

  function showKiosk(thanks) {
    var question = document.getElementById("kiosk-question");
    var done = document.getElementById("kiosk-thanks");
    if (!question || !done) { return; }
    question.hidden = thanks;
    done.hidden = !thanks;
    window.scrollTo(0, 0);
    document.getElementById(thanks ? "kiosk-thanks-heading" : "kiosk-heading").focus();
  }

  function queueKioskAnswer(form) {
    if (form.checkValidity && !form.checkValidity()) {
      form.reportValidity();
      return null;
    }
    var answers = {};
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken" && name !== "key" && typeof value === "string") {
        answers[name] = value;
      }
    });
    var now = new Date();
    emptyKiosk(form);
    showKiosk(true);
    return [{ key: newKey(), kind: "kiosk_feedback", event: parseInt(form.dataset.event, 10),
      answers: answers, language: document.documentElement.lang || "",
      label: text("kiosk_answer") + " (" + timeText(now.toISOString()) + ")",
      queued_at: now.toISOString() }];
  }

  var kioskForm = document.querySelector("form[data-outbox-form=kiosk_feedback]");
  if (kioskForm) {
    document.getElementById("kiosk-next").addEventListener("click", function (event) {
      event.preventDefault();
      emptyKiosk(kioskForm);
      showKiosk(false);
    });
    // Back to this page from the browser's history: never with the last person's answers.
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) { emptyKiosk(kioskForm); }
    });
  }

  // Saving with no connection, or with older changes still waiting: the form's changes go to
  // the queue (the form is not sent). Online with nothing waiting, the form posts as ever
  // (except the kiosk's, which always goes through the queue).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-outbox-form]")) { return; }
    var kind = form.getAttribute("data-outbox-form");
    if (navigator.onLine && pending === 0 && kind !== "kiosk_feedback") { return; }
    event.preventDefault();
    var changes = kind === "scores" ? queueScores(form) :
      kind === "register" ? queueRegistration(form, event.submitter) :
      kind === "kiosk_feedback" ? queueKioskAnswer(form) : queuePaperFeedback(form);
    if (!changes) { return; }
    if (kind === "paper_feedback" || kind === "register") {
      formsQueued = kind === "register" ? "queued_person" : "queued_form";
      var first = form.querySelector("input:not([type=hidden]), select, textarea");
      if (first) { first.focus(); }
    }
    pending += changes.length;
    run("queue", "readwrite", function (s) {
      changes.forEach(function (change) { s.add(change); });
      return null;
    }).then(render).then(flush);
  });

  // --- Sending ---------------------------------------------------------------------------
  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function flush() {
    if (flushing || !navigator.onLine) { return Promise.resolve(); }
    flushing = true;
    return all("queue").then(function (items) {
      if (!items.length) { return null; }
      var batch = items.slice(0, BATCH);
      return fetch(SYNC_URL, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json",
          "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ changes: batch.map(function (item) {
          // Everything but what is kept only for the page (its label, when it was queued).
          var change = {};
          Object.keys(item).forEach(function (name) {
            if (["seq", "label", "queued_at"].indexOf(name) < 0) { change[name] = item[name]; }
          });
          return change;
        }) })
      }).then(function (response) {
        if (!response.ok) { throw new Error("sync " + response.status); }
        return response.json();
      }).then(function (answer) { return settle(batch, answer.results || []); });
    }).catch(function () { return null; /* kept; tried again later */ }).then(function () {
      flushing = false;
      return render();
    });
  }

  function settle(batch, results) {
    var byKey = {};
    results.forEach(function (result) { if (result.key) { byKey[result.key] = result; } });
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(["queue", "refused", "meta"], "readwrite");
        batch.forEach(function (item) {
          var result = byKey[item.key];
          if (!result) { return; }  // no answer for it: it stays queued
          tx.objectStore("queue").delete(item.seq);
          if (result.status === "refused") {
            // A registration keeps what was typed, to be filled in again (fillFromRefused).
            tx.objectStore("refused").put({ key: item.key, kind: item.kind, label: item.label,
              present: item.present, reason: result.message, event: item.event,
              answers: item.kind === "register" ? item.answers : undefined });
          }
        });
        tx.objectStore("meta").put(new Date().toISOString(), "lastSent");
        tx.oncomplete = function () { resolve(); };
        tx.onerror = function () { reject(tx.error); };
      });
    }).then(function () {
      // Refused taps are shown as the server has them.
      batch.forEach(function (item) {
        var result = byKey[item.key];
        if (item.kind !== "attendance" && item.kind !== undefined) { return; }
        var box = document.getElementById("a-" + item.enrolment + "-" + item.session);
        if (result && result.status === "refused" && box) { showPresent(box, !item.present); }
      });
    });
  }

  // --- Logging out -----------------------------------------------------------------------
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("[data-outbox-logout]")) { return; }
    if (pending > 0 && !window.confirm(body.dataset.outboxLogoutWarning)) {
      event.preventDefault();
      return;
    }
    // The queue stays (it is this user's, for their next sign-in); the kept pages go.
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ type: "forget-pages" });
    }
  });

  // --- The service worker ----------------------------------------------------------------
  function startWorker() {
    if (!("serviceWorker" in navigator) || !window.isSecureContext) { return; }
    navigator.serviceWorker.register(body.dataset.outboxWorker, { scope: "/" }).catch(function () {
      return null;
    });
    if (!navigator.onLine) { return; }
    navigator.serviceWorker.ready.then(function (registration) {
      // Someone else signed in on this device since: the pages kept for them go first.
      if (localStorage.getItem("qadam-pages-user") !== userId) {
        registration.active.postMessage({ type: "forget-pages" });
        localStorage.setItem("qadam-pages-user", userId);
      }
      var message = { type: "precache", urls: [location.pathname + location.search] };
      // The list of the user's current events: once in a while, not on every page.
      var last = parseInt(sessionStorage.getItem("qadam-precached-" + userId) || "0", 10);
      if (Date.now() - last > 15 * 60 * 1000) {
        message.list = body.dataset.outboxPages;
        sessionStorage.setItem("qadam-precached-" + userId, String(Date.now()));
      }
      registration.active.postMessage(message);
    });
  }

  window.addEventListener("online", function () { render().then(flush); });
  window.addEventListener("offline", render);
  setInterval(function () { if (pending > 0) { flush(); } }, RETRY_MS);
  replayQueue().then(fillFromRefused).then(render).then(flush);
  startWorker();
})();
