/*
 * Capture page: map, position, shared form and outbox display.
 *
 * The page reads its settings, texts and nomenclature from JSON blocks written
 * by the server, so that it works offline once the service worker has cached it.
 */
(function () {
  "use strict";

  const config = readJson("capture-config");
  const nomenclature = readJson("capture-nomenclature");
  const text = readJson("capture-messages");
  const { Outbox, STATES, makeUuid } = window.CaptureOutbox;

  const GPS_ZOOM = 17;
  const TAP_ZOOM = 16;
  const COORDINATE_DIGITS = 7;
  const TOAST_MS = 4000;

  const elements = {
    app: document.getElementById("capture"),
    network: document.getElementById("network-state"),
    offlineReady: document.getElementById("offline-ready"),
    geoMessage: document.getElementById("geo-message"),
    toast: document.getElementById("toast"),
    locate: document.getElementById("locate-button"),
    formToggle: document.getElementById("form-toggle"),
    outboxToggle: document.getElementById("outbox-toggle"),
    outboxCount: document.getElementById("outbox-count"),
    entryPanel: document.getElementById("entry-panel"),
    outboxPanel: document.getElementById("outbox-panel"),
    form: document.getElementById("entry-form"),
    formTitle: document.getElementById("entry-title"),
    formError: document.getElementById("form-error"),
    pointStatus: document.getElementById("point-status"),
    category: document.getElementById("entry-category"),
    type: document.getElementById("entry-type"),
    time: document.getElementById("entry-time"),
    duration: document.getElementById("entry-duration"),
    people: document.getElementById("entry-people"),
    outcome: document.getElementById("entry-outcome"),
    note: document.getElementById("entry-note"),
    noteCount: document.getElementById("note-count"),
    outboxList: document.getElementById("outbox-list"),
    outboxRetry: document.getElementById("outbox-retry"),
    outboxDownload: document.getElementById("outbox-download"),
    outlinePicker: document.getElementById("outline-picker"),
    outlineSelect: document.getElementById("outline-set"),
  };

  let outbox = null;
  // Id of the entry saved last, until the server accepts or refuses it.
  let justSavedId = null;
  let point = null; // {lat, lng, method, accuracy}
  let marker = null;
  let accuracyCircle = null;
  let timeEdited = false;
  let correcting = null; // id of the refused record being corrected
  let toastTimer = null;

  function readJson(id) {
    return JSON.parse(document.getElementById(id).textContent);
  }

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, (match, key) => (key in values ? values[key] : match));
  }

  function showToast(message) {
    elements.toast.textContent = message;
    elements.toast.hidden = false;
    window.clearTimeout(toastTimer);
    toastTimer = window.setTimeout(() => (elements.toast.hidden = true), TOAST_MS);
  }

  // --- map -----------------------------------------------------------------

  const map = L.map("capture-map", { zoomControl: true }).setView(config.center, config.zoom);
  if (config.extent) {
    const [west, south, east, north] = config.extent;
    map.fitBounds([[south, west], [north, east]]);
  }
  if (config.tileUrl) {
    L.tileLayer(config.tileUrl, {
      attribution: config.tileAttribution,
      maxZoom: config.maxZoom,
    }).addTo(map);
  }

  // Outlines are simplified on the server to this tolerance, in metres: enough
  // for a street-level map, and lighter for a phone's connection.
  const OUTLINE_SIMPLIFY_M = 2;
  const OUTLINE_RETRY_MS = 60000;
  const OUTLINE_STYLE = { color: "#0b6e4f", weight: 2, fill: false };
  const OUTLINE_CHOICE_KEY = "capture-outline-set:" + config.username;

  // One set is drawn at a time, because several sets on top of each other are
  // unreadable at street zoom. The others are still fetched once, so that the
  // service worker caches them and the select works offline.
  const outlineData = new Map(); // set id -> GeoJSON FeatureCollection
  let outlinesPending = config.territorySets.map((territorySet) => territorySet.id);
  let outlineLayer = null;
  let outlineSetId = defaultOutlineSet();

  // Storage can be blocked (private browsing): the choice then lasts for the page only.
  function readStoredChoice() {
    try {
      return window.localStorage.getItem(OUTLINE_CHOICE_KEY);
    } catch (error) {
      return null;
    }
  }

  function storeChoice(value) {
    try {
      window.localStorage.setItem(OUTLINE_CHOICE_KEY, value);
    } catch (error) {
      // The choice is not kept for the next visit.
    }
  }

  function defaultOutlineSet() {
    const sets = config.territorySets;
    if (!sets.length) return null;
    const stored = Number(readStoredChoice());
    if (sets.some((territorySet) => territorySet.id === stored)) return stored;
    // The set with the fewest polygons is the most readable at city zoom.
    let fewest = sets[0];
    for (const territorySet of sets) {
      if (territorySet.count < fewest.count) fewest = territorySet;
    }
    return fewest.id;
  }

  function outlinesUrl(setId) {
    return (
      config.territoriesUrl +
      "?territory_set=" + encodeURIComponent(setId) +
      "&simplify=" + OUTLINE_SIMPLIFY_M
    );
  }

  async function fetchOutlines(setId) {
    const response = await fetch(outlinesUrl(setId), {
      credentials: "same-origin",
      headers: { Accept: "application/geo+json, application/json" },
    });
    const data = response.ok ? await response.json() : null;
    if (!data || data.type !== "FeatureCollection") throw new Error("HTTP " + response.status);
    return data;
  }

  function drawOutlines() {
    if (outlineLayer) outlineLayer.remove();
    outlineLayer = null;
    const data = outlineData.get(outlineSetId);
    if (!data) return;
    outlineLayer = L.geoJSON(data, { interactive: false, style: OUTLINE_STYLE }).addTo(map);
    elements.app.dataset.outlineSet = String(outlineSetId);
  }

  // Fetch the chosen set first, then the others. A set that fails stays pending
  // for the next retry.
  let outlinesLoading = null;

  function loadOutlines() {
    if (!outlinesLoading) {
      outlinesLoading = fetchPendingOutlines().finally(() => (outlinesLoading = null));
    }
    return outlinesLoading;
  }

  async function fetchPendingOutlines() {
    const order = outlinesPending.slice().sort(
      (a, b) => Number(b === outlineSetId) - Number(a === outlineSetId)
    );
    const still = [];
    for (const setId of order) {
      try {
        outlineData.set(setId, await fetchOutlines(setId));
        if (setId === outlineSetId) drawOutlines();
      } catch (error) {
        still.push(setId);
      }
    }
    outlinesPending = still;
    elements.app.dataset.outlinesPending = String(still.length);
  }

  function setupOutlineSelect() {
    const select = elements.outlineSelect;
    if (config.territorySets.length < 2) return; // Nothing to choose from.
    for (const territorySet of config.territorySets) {
      select.add(new Option(territorySet.name, String(territorySet.id)));
    }
    select.value = String(outlineSetId);
    select.addEventListener("change", () => {
      outlineSetId = Number(select.value);
      storeChoice(String(outlineSetId));
      drawOutlines();
      if (!outlineData.has(outlineSetId)) loadOutlines();
    });
    elements.outlinePicker.hidden = false;
  }

  // --- point -----------------------------------------------------------------

  function describePoint() {
    if (!point) {
      elements.pointStatus.textContent = text.pointNone;
    } else if (point.method === "gps") {
      elements.pointStatus.textContent = format(text.pointGps, {
        accuracy: Math.round(point.accuracy),
      });
    } else {
      elements.pointStatus.textContent = text.pointTap;
    }
    elements.app.dataset.pointMethod = point ? point.method : "";
  }

  function setPoint(latlng, method, accuracy) {
    point = { lat: latlng.lat, lng: latlng.lng, method: method, accuracy: accuracy };
    if (!marker) {
      marker = L.marker(latlng, { draggable: true, autoPan: true }).addTo(map);
      marker.on("dragend", () => setPoint(marker.getLatLng(), "map_tap", null));
    } else {
      marker.setLatLng(latlng);
    }
    if (accuracyCircle) {
      accuracyCircle.remove();
      accuracyCircle = null;
    }
    if (method === "gps" && accuracy) {
      accuracyCircle = L.circle(latlng, {
        radius: accuracy,
        interactive: false,
        color: "#1192e8",
        weight: 1,
        fillOpacity: 0.12,
      }).addTo(map);
    }
    describePoint();
  }

  function clearPoint() {
    point = null;
    if (marker) marker.remove();
    if (accuracyCircle) accuracyCircle.remove();
    marker = null;
    accuracyCircle = null;
    describePoint();
  }

  map.on("click", (event) => {
    setPoint(event.latlng, "map_tap", null);
    openPanel(elements.entryPanel);
  });

  // --- position --------------------------------------------------------------

  function showGeoMessage(message) {
    elements.geoMessage.textContent = message;
    elements.geoMessage.hidden = !message;
  }

  function geolocationProblem() {
    if (!window.isSecureContext) return text.geoInsecure;
    if (!("geolocation" in navigator)) return text.geoUnsupported;
    return "";
  }

  function checkGeolocation() {
    const problem = geolocationProblem();
    if (problem) {
      showGeoMessage(problem);
      return;
    }
    if (navigator.permissions && navigator.permissions.query) {
      navigator.permissions
        .query({ name: "geolocation" })
        .then((status) => {
          if (status.state === "denied") showGeoMessage(text.geoDenied);
          status.onchange = () => showGeoMessage(status.state === "denied" ? text.geoDenied : "");
        })
        .catch(() => {});
    }
  }

  function locate() {
    const problem = geolocationProblem();
    if (problem) {
      showGeoMessage(problem);
      return;
    }
    showGeoMessage(text.geoLocating);
    navigator.geolocation.getCurrentPosition(
      (position) => {
        showGeoMessage("");
        const latlng = L.latLng(position.coords.latitude, position.coords.longitude);
        setPoint(latlng, "gps", position.coords.accuracy);
        map.setView(latlng, Math.max(map.getZoom(), GPS_ZOOM));
      },
      (error) => {
        const messages = {
          [error.PERMISSION_DENIED]: text.geoDenied,
          [error.POSITION_UNAVAILABLE]: text.geoUnavailable,
          [error.TIMEOUT]: text.geoTimeout,
        };
        showGeoMessage(messages[error.code] || text.geoUnavailable);
      },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 }
    );
  }

  // --- panels ----------------------------------------------------------------

  function openPanel(panel) {
    for (const other of [elements.entryPanel, elements.outboxPanel]) {
      other.hidden = other !== panel;
    }
    elements.formToggle.setAttribute("aria-expanded", String(panel === elements.entryPanel));
    elements.outboxToggle.setAttribute("aria-expanded", String(panel === elements.outboxPanel));
    elements.app.classList.toggle("sheet-open", Boolean(panel));
    if (panel === elements.entryPanel) startEntry();
    map.invalidateSize();
    if (point && panel) map.panTo([point.lat, point.lng]);
  }

  function closePanels() {
    openPanel(null);
  }

  // --- form ------------------------------------------------------------------

  function localDateTimeValue(date) {
    const shifted = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
    return shifted.toISOString().slice(0, 16);
  }

  function fillTypes(selected) {
    const category = nomenclature.categories.find((c) => c.code === elements.category.value);
    elements.type.replaceChildren();
    const placeholder = new Option(category ? text.chooseType : text.chooseCategoryFirst, "");
    elements.type.add(placeholder);
    if (category) {
      for (const kind of category.types) elements.type.add(new Option(kind.label, kind.code));
    }
    elements.type.disabled = !category;
    elements.type.value = selected || "";
  }

  function updateNoteCount() {
    elements.noteCount.textContent = format(text.characters, {
      count: elements.note.value.length,
      limit: config.noteMaxLength,
    });
  }

  function startEntry() {
    if (!timeEdited) elements.time.value = localDateTimeValue(new Date());
    describePoint();
  }

  function resetForm() {
    elements.form.reset();
    fillTypes("");
    timeEdited = false;
    correcting = null;
    elements.formTitle.textContent = text.newEntry;
    elements.formError.hidden = true;
    updateNoteCount();
    clearPoint();
  }

  function checkedValues(name) {
    return Array.from(elements.form.querySelectorAll(`input[name="${name}"]:checked`), (input) => input.value);
  }

  function formProblem(occurredAt) {
    if (!point) return text.needPoint;
    if (!elements.category.value) return text.needCategory;
    if (!elements.type.value) return text.needType;
    if (!elements.time.value || Number.isNaN(occurredAt.getTime())) return text.timeInvalid;
    const tolerance = config.futureToleranceMinutes * 60000;
    if (occurredAt.getTime() > Date.now() + tolerance) return text.timeInFuture;
    if (elements.note.value.length > config.noteMaxLength) return text.noteTooLong;
    return "";
  }

  function round(value) {
    const factor = 10 ** COORDINATE_DIGITS;
    return Math.round(value * factor) / factor;
  }

  function buildFeature(id, occurredAt) {
    const intensity = elements.form.querySelector('input[name="intensity"]:checked');
    return {
      type: "Feature",
      id: id,
      geometry: { type: "Point", coordinates: [round(point.lng), round(point.lat)] },
      properties: {
        occurred_at: occurredAt.toISOString(),
        duration_minutes: Number.parseInt(elements.duration.value || "0", 10),
        location_method: point.method,
        location_accuracy_m: point.method === "gps" ? point.accuracy : null,
        category: elements.category.value,
        type: elements.type.value,
        themes: checkedValues("themes"),
        partners: checkedValues("partners"),
        outcome: elements.outcome.value || null,
        people_count: Number.parseInt(elements.people.value || "0", 10),
        intensity: Number.parseInt(intensity ? intensity.value : "1", 10),
        note: elements.note.value.trim(),
        status: "submitted",
      },
    };
  }

  async function saveEntry(event) {
    event.preventDefault();
    if (!outbox) return; // IndexedDB is still opening.
    // A datetime-local value has no offset: Date reads it as the phone's local time.
    const occurredAt = new Date(elements.time.value);
    const problem = formProblem(occurredAt);
    if (problem) {
      elements.formError.textContent = problem;
      elements.formError.hidden = false;
      return;
    }
    elements.formError.hidden = true;
    let feature;
    if (correcting) {
      const previous = await outbox.get(correcting);
      // A 409 means the server keeps its own version under this id: the
      // corrected entry needs a new one. Other refusals keep the id.
      const keepId = previous && previous.refusalStatus !== 409;
      feature = buildFeature(keepId ? correcting : makeUuid(), occurredAt);
      await outbox.replace(correcting, feature);
    } else {
      feature = buildFeature(makeUuid(), occurredAt);
      await outbox.add(feature);
    }
    resetForm();
    // Saving starts a send when online, so renderOutbox replaces this toast with
    // the server's response once the entry is received or refused.
    justSavedId = feature.id;
    showToast(text.saved);
    openPanel(elements.outboxPanel);
  }

  async function correctRecord(id) {
    const record = await outbox.get(id);
    if (!record) return;
    const properties = record.feature.properties;
    resetForm();
    correcting = id;
    elements.formTitle.textContent = text.editing;
    elements.category.value = properties.category;
    fillTypes(properties.type);
    elements.time.value = localDateTimeValue(new Date(properties.occurred_at));
    timeEdited = true;
    elements.duration.value = properties.duration_minutes;
    elements.people.value = properties.people_count;
    elements.outcome.value = properties.outcome || "";
    elements.note.value = properties.note;
    for (const input of elements.form.querySelectorAll('input[name="intensity"]')) {
      input.checked = Number(input.value) === properties.intensity;
    }
    for (const name of ["themes", "partners"]) {
      for (const input of elements.form.querySelectorAll(`input[name="${name}"]`)) {
        input.checked = properties[name].includes(input.value);
      }
    }
    const [lng, lat] = record.feature.geometry.coordinates;
    setPoint(L.latLng(lat, lng), properties.location_method, properties.location_accuracy_m);
    updateNoteCount();
    openPanel(elements.entryPanel);
    elements.formError.textContent = record.error;
    elements.formError.hidden = !record.error;
  }

  // --- outbox display --------------------------------------------------------

  function typeLabel(properties) {
    for (const category of nomenclature.categories) {
      const kind = category.types.find((t) => t.code === properties.type);
      if (kind) return kind.label;
    }
    return properties.type;
  }

  function stateText(record) {
    if (record.state === STATES.REFUSED) return format(text.refusedWith, { reason: record.error });
    if (record.state === STATES.RECEIVED) {
      const outside = record.server && record.server.outsideTerritories;
      return outside ? text.stateReceived + " · " + text.outsideTerritories : text.stateReceived;
    }
    if (record.state === STATES.SENT) return text.stateSent;
    const problems = { auth: text.sessionExpired, server: text.serverBusy };
    const problem = problems[record.problem];
    return problem ? text.stateWaiting + " · " + problem : text.stateWaiting;
  }

  function renderRecord(record) {
    const item = document.createElement("li");
    item.className = "outbox-item state-" + record.state;
    item.dataset.id = record.id;
    item.dataset.state = record.state;

    const title = document.createElement("strong");
    title.textContent = typeLabel(record.feature.properties);
    const when = document.createElement("span");
    when.className = "muted";
    when.textContent = new Date(record.feature.properties.occurred_at).toLocaleString([], {
      dateStyle: "short",
      timeStyle: "short",
    });
    const state = document.createElement("p");
    state.className = "outbox-state";
    state.textContent = stateText(record);
    item.append(title, " ", when, state);

    if (record.state === STATES.REFUSED) {
      const actions = document.createElement("div");
      actions.className = "outbox-item-actions";
      const correct = document.createElement("button");
      correct.type = "button";
      correct.textContent = text.correct;
      correct.addEventListener("click", () => correctRecord(record.id));
      const discard = document.createElement("button");
      discard.type = "button";
      discard.className = "danger";
      discard.textContent = text.discard;
      discard.addEventListener("click", () => {
        if (window.confirm(text.discardConfirm)) outbox.discard(record.id);
      });
      actions.append(correct, discard);
      item.append(actions);
    }
    return item;
  }

  function renderOutbox(records) {
    elements.outboxList.replaceChildren(...records.map(renderRecord));
    if (!records.length) {
      const empty = document.createElement("li");
      empty.className = "muted";
      empty.textContent = text.outboxEmpty;
      elements.outboxList.append(empty);
    }
    const justSaved = justSavedId && records.find((r) => r.id === justSavedId);
    if (justSaved && justSaved.state === STATES.RECEIVED) {
      showToast(text.savedReceived);
      justSavedId = null;
    } else if (justSaved && justSaved.state === STATES.REFUSED) {
      showToast(format(text.refusedWith, { reason: justSaved.error }));
      justSavedId = null;
    }
    const pending = records.filter((r) => r.state === STATES.WAITING || r.state === STATES.SENT);
    elements.outboxCount.textContent = String(pending.length);
    elements.outboxCount.classList.toggle("count-refused", records.some((r) => r.state === STATES.REFUSED));
  }

  // --- header ----------------------------------------------------------------

  // On a phone the site header would take a third of the screen: the page keeps
  // the brand and a menu button, and the button shows the rest (see capture.css).
  function setupMenuToggle() {
    const header = document.querySelector(".site-header");
    const nav = header && header.querySelector(".site-nav");
    if (!header || !nav) return;
    const toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "menu-toggle";
    toggle.textContent = text.menu;
    toggle.setAttribute("aria-expanded", "false");
    nav.id = nav.id || "site-nav";
    toggle.setAttribute("aria-controls", nav.id);
    toggle.addEventListener("click", () => {
      const open = header.classList.toggle("menu-open");
      toggle.setAttribute("aria-expanded", String(open));
      map.invalidateSize();
    });
    header.querySelector(".brand").after(toggle);
    document.body.classList.add("menu-collapsible");
  }

  // --- network and offline -----------------------------------------------------

  function showNetworkState() {
    const online = navigator.onLine !== false;
    elements.network.textContent = online ? text.online : text.offline;
    elements.network.classList.toggle("pill-warn", !online);
  }

  function registerServiceWorker() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker
      .register(config.serviceWorkerUrl, { scope: config.pageUrl })
      .then(() => navigator.serviceWorker.ready)
      .then(() => {
        elements.offlineReady.hidden = false;
        elements.app.dataset.offlineReady = "true";
      })
      .catch((error) => console.error("service worker registration failed", error));
  }

  // --- start -----------------------------------------------------------------

  function bindEvents() {
    elements.locate.addEventListener("click", locate);
    elements.formToggle.addEventListener("click", () =>
      openPanel(elements.entryPanel.hidden ? elements.entryPanel : null)
    );
    elements.outboxToggle.addEventListener("click", () =>
      openPanel(elements.outboxPanel.hidden ? elements.outboxPanel : null)
    );
    for (const button of document.querySelectorAll("[data-close]")) {
      button.addEventListener("click", closePanels);
    }
    elements.category.addEventListener("change", () => fillTypes(""));
    elements.time.addEventListener("input", () => (timeEdited = true));
    elements.note.addEventListener("input", updateNoteCount);
    elements.form.addEventListener("submit", saveEntry);
    elements.outboxRetry.addEventListener("click", () => outbox.retryAllNow());
    elements.outboxDownload.addEventListener("click", () => {
      const day = new Date().toISOString().slice(0, 10);
      outbox.download(`saisies-${config.username}-${day}.json`);
    });
    window.addEventListener("online", () => {
      showNetworkState();
      if (outlinesPending.length) loadOutlines();
    });
    window.addEventListener("offline", showNetworkState);
    window.setInterval(() => {
      if (outlinesPending.length && navigator.onLine !== false) loadOutlines();
    }, OUTLINE_RETRY_MS);
  }

  async function start() {
    setupMenuToggle();
    bindEvents();
    showNetworkState();
    checkGeolocation();
    fillTypes("");
    updateNoteCount();
    describePoint();
    registerServiceWorker();
    setupOutlineSelect();
    loadOutlines();
    outbox = await Outbox.open({
      apiUrl: config.apiUrl,
      owner: config.username,
      csrfCookieName: config.csrfCookieName,
      fieldLabels: text.fieldLabels,
      fieldFormat: text.fieldError,
      onChange: renderOutbox,
      onAuthProblem: () => showToast(text.sessionExpired),
      onServerProblem: () => showToast(text.serverBusy),
    });
    await outbox.start();
    elements.app.dataset.ready = "true";
  }

  start().catch((error) => {
    console.error("capture page failed to start", error);
    showToast(String(error));
  });
})();
