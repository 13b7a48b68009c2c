/*
 * Outbox of the capture page: entries wait in IndexedDB until the server
 * acknowledges them.
 *
 * Each record contains the GeoJSON Feature sent to the sync API, whose id is a UUID
 * made on the phone, so sending a record again never creates a second entry.
 * States: "waiting" (not sent yet, or to retry), "sent" (request in flight),
 * "received" (the server returned 200 or 201) and "refused" (400, 404 or 409,
 * with the server's reason). A record is deleted only once received, after
 * KEEP_RECEIVED_MS, or when the mediator deletes a refused one.
 */
(function (global) {
  "use strict";

  const DB_NAME = "geo-mediation-capture";
  const DB_VERSION = 1;
  const STORE = "outbox";

  // Back-off between attempts: 2 s doubling up to 5 min, with +/- 25 % jitter so
  // that phones coming back online together do not send in step.
  const RETRY_BASE_MS = 2000;
  const RETRY_MAX_MS = 5 * 60 * 1000;
  // How often the timer looks for records due for a retry.
  const TIMER_MS = 15000;
  const REQUEST_TIMEOUT_MS = 20000;
  // Received records stay visible this long, then leave the phone.
  const KEEP_RECEIVED_MS = 7 * 24 * 3600 * 1000;

  const STATES = { WAITING: "waiting", SENT: "sent", RECEIVED: "received", REFUSED: "refused" };

  function promisify(request) {
    return new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  function openDatabase() {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(STORE)) {
        const store = db.createObjectStore(STORE, { keyPath: "id" });
        store.createIndex("owner", "owner");
      }
    };
    return promisify(request);
  }

  /* Records of one user, so that a shared phone never sends another user's entries. */
  class RecordStore {
    constructor(db, owner) {
      this.db = db;
      this.owner = owner;
    }

    transaction(mode, action) {
      return new Promise((resolve, reject) => {
        const tx = this.db.transaction(STORE, mode);
        const request = action(tx.objectStore(STORE));
        tx.oncomplete = () => resolve(request ? request.result : undefined);
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error);
      });
    }

    all() {
      return this.transaction("readonly", (store) =>
        store.index("owner").getAll(IDBKeyRange.only(this.owner))
      );
    }

    get(id) {
      return this.transaction("readonly", (store) => store.get(id)).then((record) =>
        record && record.owner === this.owner ? record : undefined
      );
    }

    put(record) {
      record.owner = this.owner;
      record.updatedAt = Date.now();
      return this.transaction("readwrite", (store) => store.put(record));
    }

    delete(id) {
      return this.transaction("readwrite", (store) => store.delete(id));
    }
  }

  function makeUuid() {
    if (global.crypto && typeof global.crypto.randomUUID === "function") {
      return global.crypto.randomUUID();
    }
    // RFC 4122 version 4 from getRandomValues, for browsers without randomUUID.
    const bytes = global.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function readCookie(name) {
    const prefix = name + "=";
    for (const part of document.cookie.split(";")) {
      const cookie = part.trim();
      if (cookie.startsWith(prefix)) return decodeURIComponent(cookie.slice(prefix.length));
    }
    return "";
  }

  function retryDelay(attempts) {
    const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.max(0, attempts - 1));
    return delay * (0.75 + Math.random() * 0.5);
  }

  /*
   * The server's reason for a 4xx response: its detail, or one message per field
   * written with `fieldFormat` ("%(field)s: %(message)s" in English).
   */
  function refusalReason(status, body, fieldLabels, fieldFormat) {
    if (!body || typeof body !== "object") return "HTTP " + status;
    if (typeof body.detail === "string") return body.detail;
    const parts = [];
    for (const [field, messages] of Object.entries(body)) {
      const text = Array.isArray(messages) ? messages.join(" ") : JSON.stringify(messages);
      if (field === "non_field_errors") {
        parts.push(text);
      } else {
        const label = fieldLabels[field] || field;
        parts.push(fieldFormat.replace("%(field)s", label).replace("%(message)s", text));
      }
    }
    return parts.join(" ") || "HTTP " + status;
  }

  class Outbox {
    /*
     * options: apiUrl, owner, csrfCookieName, fieldLabels, fieldFormat,
     * onChange(records), onAuthProblem(), onServerProblem(status).
     */
    constructor(store, options) {
      this.store = store;
      this.options = options;
      this.flushing = false;
      this.flushAgain = false;
      this.timer = null;
    }

    static async open(options) {
      const db = await openDatabase();
      const outbox = new Outbox(new RecordStore(db, options.owner), options);
      await outbox.dropOldReceived();
      return outbox;
    }

    start() {
      global.addEventListener("online", () => this.retryAllNow());
      document.addEventListener("visibilitychange", () => {
        if (document.visibilityState === "visible") this.flush();
      });
      this.timer = global.setInterval(() => this.flush(), TIMER_MS);
      return this.flush();
    }

    async records() {
      const records = await this.store.all();
      return records.sort((a, b) => b.createdAt - a.createdAt);
    }

    async changed() {
      if (this.options.onChange) this.options.onChange(await this.records());
    }

    async add(feature) {
      const now = Date.now();
      await this.store.put({
        id: feature.id,
        feature: feature,
        state: STATES.WAITING,
        attempts: 0,
        nextAttemptAt: now,
        createdAt: now,
        problem: "",
        error: "",
      });
      await this.changed();
      this.flush();
    }

    /* Replace a refused record by its corrected feature, which may carry a new id. */
    async replace(oldId, feature) {
      const previous = await this.store.get(oldId);
      if (previous && oldId !== feature.id) await this.store.delete(oldId);
      const now = Date.now();
      await this.store.put({
        id: feature.id,
        feature: feature,
        state: STATES.WAITING,
        attempts: 0,
        nextAttemptAt: now,
        createdAt: previous ? previous.createdAt : now,
        problem: "",
        error: "",
      });
      await this.changed();
      this.flush();
    }

    async get(id) {
      return this.store.get(id);
    }

    /* Delete a refused record; records not yet acknowledged are never deleted. */
    async discard(id) {
      const record = await this.store.get(id);
      if (!record || record.state !== STATES.REFUSED) return false;
      await this.store.delete(id);
      await this.changed();
      return true;
    }

    async dropOldReceived() {
      const limit = Date.now() - KEEP_RECEIVED_MS;
      for (const record of await this.store.all()) {
        if (record.state === STATES.RECEIVED && (record.receivedAt || 0) < limit) {
          await this.store.delete(record.id);
        }
      }
    }

    async retryAllNow() {
      for (const record of await this.store.all()) {
        if (record.state === STATES.WAITING || record.state === STATES.SENT) {
          record.nextAttemptAt = 0;
          await this.store.put(record);
        }
      }
      return this.flush();
    }

    /* Send every record that is due, one at a time; stop at the first network failure. */
    async flush() {
      if (this.flushing) {
        this.flushAgain = true;
        return;
      }
      this.flushing = true;
      try {
        do {
          this.flushAgain = false;
          if (global.navigator.onLine === false) break;
          const now = Date.now();
          const due = (await this.store.all())
            .filter((r) => (r.state === STATES.WAITING || r.state === STATES.SENT) && r.nextAttemptAt <= now)
            .sort((a, b) => a.createdAt - b.createdAt);
          for (const record of due) {
            if (!(await this.send(record))) break;
          }
        } while (this.flushAgain);
      } finally {
        this.flushing = false;
        await this.changed();
      }
    }

    /* Put the record back to waiting; `problem` is "network", "auth" or "server". */
    async retryLater(record, problem) {
      record.state = STATES.WAITING;
      record.attempts = (record.attempts || 0) + 1;
      record.nextAttemptAt = Date.now() + retryDelay(record.attempts);
      record.problem = problem;
      await this.store.put(record);
    }

    /* Send one record; return false when the network or the server is unavailable. */
    async send(record) {
      record.state = STATES.SENT;
      record.lastAttemptAt = Date.now();
      await this.store.put(record);
      await this.changed();

      let response;
      const controller = new AbortController();
      const timeout = global.setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
      try {
        response = await fetch(this.options.apiUrl, {
          method: "POST",
          credentials: "same-origin",
          headers: {
            "Content-Type": "application/json",
            Accept: "application/json",
            "X-CSRFToken": readCookie(this.options.csrfCookieName),
          },
          body: JSON.stringify(record.feature),
          signal: controller.signal,
        });
      } catch (error) {
        await this.retryLater(record, "network");
        return false;
      } finally {
        global.clearTimeout(timeout);
      }

      let body = null;
      try {
        body = await response.json();
      } catch (error) {
        body = null;
      }

      if (response.status === 200 || response.status === 201) {
        const properties = (body && body.properties) || {};
        record.state = STATES.RECEIVED;
        record.receivedAt = Date.now();
        record.problem = "";
        record.error = "";
        record.server = {
          status: properties.status,
          outsideTerritories: Boolean(properties.outside_territories),
        };
        await this.store.put(record);
        return true;
      }
      if (response.status === 400 || response.status === 404 || response.status === 409) {
        record.state = STATES.REFUSED;
        record.refusalStatus = response.status;
        record.problem = "";
        record.error = refusalReason(
          response.status,
          body,
          this.options.fieldLabels || {},
          this.options.fieldFormat || "%(field)s: %(message)s"
        );
        await this.store.put(record);
        return true;
      }
      if (response.status === 401 || response.status === 403) {
        // Logged out, or the CSRF cookie changed: keep the record and ask to log in.
        await this.retryLater(record, "auth");
        if (this.options.onAuthProblem) this.options.onAuthProblem();
        return false;
      }
      // 429, 5xx or anything unexpected: the server is busy or down.
      await this.retryLater(record, "server");
      if (this.options.onServerProblem) this.options.onServerProblem(response.status);
      return false;
    }

    /* Save the user's records as a JSON file, a copy to keep if the phone is reset. */
    async download(filename) {
      const records = await this.records();
      const payload = {
        exported_at: new Date().toISOString(),
        owner: this.store.owner,
        entries: records,
      };
      const blob = new Blob([JSON.stringify(payload, null, 2)], { type: "application/json" });
      const url = URL.createObjectURL(blob);
      const link = document.createElement("a");
      link.href = url;
      link.download = filename;
      document.body.appendChild(link);
      link.click();
      link.remove();
      global.setTimeout(() => URL.revokeObjectURL(url), 1000);
    }
  }

  global.CaptureOutbox = { Outbox: Outbox, STATES: STATES, makeUuid: makeUuid };
})(window);
